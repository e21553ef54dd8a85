"""`make eval-repair SCALE=...`: identity repair on a generated city's labelled records.

Generates one month at the scale (unless already there), runs it through the whole
pipeline, then reports per error kind: precision at the threshold, recall, wrong suggestions
for records with no right answer, for doudi and for a naive baseline; writes
benchmarks/results/repair-<scale>.json and the precision-recall curve as a PNG beside it.
The labels are never seen by the model (it is fitted without them): the whole set is
held out.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl

from doudi_core.config import load_config
from repair.evaluate import baseline, headline, labelled, table

ROOT = Path(__file__).resolve().parent
PERIOD = "2026-10"


def _doudi(*args: str) -> None:
    command = [str(Path(sys.executable).parent / "doudi"), *args]
    print("$ " + " ".join(command[1:]), flush=True)
    subprocess.run(command, check=True)


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
    axes.set_title(f"Identity repair, generated '{scale}' city, {PERIOD}")
    axes.set_xlim(0, 1.02)
    axes.set_ylim(min(0.8, float(points["precision"].drop_nulls().min() or 0.8)), 1.005)
    axes.legend(loc="lower left", fontsize=8)
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
            "--period",
            PERIOD,
            "--scale",
            args.scale,
            "--seed",
            str(args.seed),
            "--out",
            str(inbox),
        )
    if not (out / "repairs" / f"{PERIOD}.parquet").exists():
        _doudi("run", "--period", PERIOD, "--inbox", str(inbox), "--out", str(out))
    threshold = load_config().raw["repair"]["threshold"]
    truth = pl.read_csv(data / "truth" / PERIOD / "repairs.csv", infer_schema=False)
    with duckdb.connect(str(out / "warehouse.duckdb"), read_only=True) as con:
        scored = con.sql(
            "SELECT id_number, suggested_id_number, score FROM vault.repair_suggestions "
            "WHERE period = ?",
            params=[PERIOD],
        ).pl()
        naive = baseline(con, PERIOD)
    ours, theirs = labelled(scored, truth, threshold), labelled(naive, truth, threshold)
    results = {
        "scale": args.scale,
        "period": PERIOD,
        "threshold": threshold,
        "doudi": {"overall": headline(ours), "per_kind": table(ours).to_dicts()},
        "baseline": {"overall": headline(theirs), "per_kind": table(theirs).to_dicts()},
    }
    results_dir = ROOT / "results"
    results_dir.mkdir(exist_ok=True)
    (results_dir / f"repair-{args.scale}.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    png = results_dir / f"repair-{args.scale}-pr.png"
    plot(curve(scored, truth), headline(theirs), headline(ours), png, args.scale)
    _print(results)
    print(f"\nwritten: {results_dir / f'repair-{args.scale}.json'}, {png}")
    return 0


def _print(results: dict) -> None:
    print(f"\nIdentity repair at '{results['scale']}', threshold {results['threshold']}:")
    print(
        f"{'kind':<22}{'n':>6}  {'doudi P':>8} {'R':>6} {'wrong':>6}   {'baseline P':>10} "
        f"{'R':>6} {'wrong':>6}"
    )
    base = {r["kind"]: r for r in results["baseline"]["per_kind"]}
    for r in results["doudi"]["per_kind"]:
        b = base[r["kind"]]

        def f(v):
            return "   -" if v is None else f"{v:.3f}"

        print(
            f"{r['kind']:<22}{r['records']:>6}  {f(r['precision']):>8} {f(r['recall']):>6} "
            f"{r['wrong']:>6}   {f(b['precision']):>10} {f(b['recall']):>6} {b['wrong']:>6}"
        )
    for who in ("doudi", "baseline"):
        h = results[who]["overall"]
        print(
            f"{who}: {h['suggestions']} suggestions, {h['right']} right; "
            f"{h['no_answer_suggested']} for the {h['no_answer_records']} records without an "
            f"answer; controls listed as leads: {h['controls_listed']}"
        )


if __name__ == "__main__":
    sys.exit(main())
