"""`make eval-repair SCALE=...`: identity repair on a generated city's labelled records.

Generates two months at the scale (unless already there), runs them through the whole
pipeline (the first fits the model, the second is a routine month that reuses it), then
reports for each month, per error kind: precision at the threshold, recall, wrong suggestions
for records with no right answer, for doudi and for a naive baseline; writes
benchmarks/results/repair-<scale>.json and the precision-recall curve as a PNG beside it.
The labels are never seen by the model (it is fitted without them): the whole set is
held out.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl

from doudi_core.config import load_config
from repair.evaluate import baseline, headline, labelled, table

ROOT = Path(__file__).resolve().parent
PERIODS = ("2026-09", "2026-10")
PERIOD = PERIODS[-1]
STEP_LINE = re.compile(r"Identity repair for (\S+): .*\n.*?; ([\d.]+)s; in ")


def _doudi(*args: str) -> str:
    """Run a `doudi` verb, showing and returning what it prints."""
    command = [str(Path(sys.executable).parent / "doudi"), *args]
    print("$ " + " ".join(command[1:]), flush=True)
    done = subprocess.run(command, check=True, capture_output=True, text=True)
    print(done.stdout, end="")
    return done.stdout


def curve(rows_all: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """Precision and recall at every threshold from 0.5 to 0.999."""
    points = []
    for threshold in [0.5 + i * 0.01 for i in range(50)] + [0.995, 0.999]:
        h = headline(labelled(rows_all, truth, threshold))
        points.append({"threshold": threshold, "precision": h["precision"], "recall": h["recall"]})
    return pl.DataFrame(points)


def plot(points: pl.DataFrame, base: dict, chosen: dict, path: Path, scale: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 4.5), dpi=120)
    axes.plot(
        points["recall"], points["precision"], marker=".", label="doudi (threshold 0.5-0.999)"
    )
    axes.scatter(
        [chosen["recall"]], [chosen["precision"]], color="C3", zorder=3, label="doudi at 0.9"
    )
    axes.scatter(
        [base["recall"]],
        [base["precision"]],
        color="C2",
        marker="s",
        zorder=3,
        label="baseline (exact name + birth date, else nearest number)",
    )
    axes.axhline(0.99, color="grey", linestyle=":", linewidth=1)
    axes.set_xlabel("recall (planted errors with a right answer)")
    axes.set_ylabel("precision (suggestions right)")
    axes.set_title(f"Identity repair, generated '{scale}' city, {PERIOD} (routine month)")
    axes.set_xlim(0, 1.02)
    lowest = min([0.8, base["precision"] or 0.8, *points["precision"].drop_nulls().to_list()])
    axes.set_ylim(lowest - 0.02, 1.005)
    axes.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    figure.savefig(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="eval-repair")
    parser.add_argument("--scale", default="small")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    data = ROOT / "data" / f"eval-{args.scale}"
    inbox, out = data / "inbox", data / "out"
    os.environ.setdefault("DOUDI_PSEUDONYM_KEY_FILE", str(ROOT.parent / "data" / "pseudonym.key"))
    if not (data / "truth" / PERIOD / "repairs.csv").exists():
        _doudi(
            "generate",
            *("--period", PERIOD, "--months", str(len(PERIODS)), "--scale", args.scale),
            *("--seed", str(args.seed), "--out", str(inbox)),
        )
    step_seconds = {}
    if not (out / "repairs" / f"{PERIOD}.parquet").exists():
        printed = _doudi(
            "run",
            *("--period", PERIODS[0], "--through", PERIOD),
            *("--inbox", str(inbox), "--out", str(out)),
        )
        step_seconds = {p: float(s) for p, s in STEP_LINE.findall(printed)}
    results_file = ROOT / "results" / f"repair-{args.scale}.json"
    if not step_seconds and results_file.exists():  # evaluated again without running: keep
        earlier = json.loads(results_file.read_text(encoding="utf-8")).get("months", {})
        step_seconds = {p: m.get("repair_step_s") for p, m in earlier.items()}
    threshold = load_config().raw["repair"]["threshold"]
    months = {}
    for period in PERIODS:
        truth = pl.read_csv(data / "truth" / period / "repairs.csv", infer_schema=False)
        with duckdb.connect(str(out / "warehouse.duckdb"), read_only=True) as con:
            scored = con.sql(
                "SELECT household_id, id_number, name, suggested_id_number, score "
                "FROM vault.repair_suggestions WHERE period = ?",
                params=[period],
            ).pl()
            naive = baseline(con, period)
        ours, theirs = labelled(scored, truth, threshold), labelled(naive, truth, threshold)
        months[period] = {
            "repair_step_s": step_seconds.get(period),
            "doudi": {"overall": headline(ours), "per_kind": table(ours).to_dicts()},
            "baseline": {"overall": headline(theirs), "per_kind": table(theirs).to_dicts()},
        }
    results = {"scale": args.scale, "threshold": threshold, "months": months}
    results_dir = ROOT / "results"
    results_dir.mkdir(exist_ok=True)
    (results_dir / f"repair-{args.scale}.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    png = results_dir / f"repair-{args.scale}-pr.png"
    plot(curve(scored, truth), headline(theirs), headline(ours), png, args.scale)
    for period, month in months.items():
        _print(args.scale, period, threshold, month)
    print(f"\nwritten: {results_dir / f'repair-{args.scale}.json'}, {png}")
    return 0


def _print(scale: str, period: str, threshold: float, month: dict) -> None:
    step = month["repair_step_s"]
    print(
        f"\nIdentity repair at '{scale}', {period}, threshold {threshold}"
        + (f" (the step took {step:.1f}s)" if step is not None else "")
        + ":"
    )
    print(
        f"{'kind':<22}{'n':>6}  {'doudi P':>8} {'R':>6} {'wrong':>6}   {'baseline P':>10} "
        f"{'R':>6} {'wrong':>6}"
    )
    base = {r["kind"]: r for r in month["baseline"]["per_kind"]}

    def f(v):
        return "   -" if v is None else f"{v:.3f}"

    for r in month["doudi"]["per_kind"]:
        b = base[r["kind"]]
        print(
            f"{r['kind']:<22}{r['records']:>6}  {f(r['precision']):>8} {f(r['recall']):>6} "
            f"{r['wrong']:>6}   {f(b['precision']):>10} {f(b['recall']):>6} {b['wrong']:>6}"
        )
    for who in ("doudi", "baseline"):
        h = month[who]["overall"]
        print(
            f"{who}: {h['suggestions']} suggestions, {h['right']} right; "
            f"{h['no_answer_suggested']} for the {h['no_answer_records']} records without an "
            f"answer; controls listed as leads: {h['controls_listed']}"
        )


if __name__ == "__main__":
    sys.exit(main())
