"""`make bench SCALE=…`: time a full `doudi run` of one period and each stage inside it.

Generation is not timed. Each repetition runs `doudi run` in a fresh output folder as a
child process (peak memory = the child's maximum resident set); stage times come from the
run's Dagster event log. Two side-by-side comparisons on the same data: ingest against a
plain polars read of the same files (its floor), and the two heaviest rules in polars
against a plain DuckDB SQL implementation (which must find the same leads).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl
import python_calamine

from benchmarks import sql_rules
from crossmatch.monthly import period_hits
from doudi_core.config import load_config
from ingest.files import detect_encoding
from sources import SOURCES

ROOT = Path(__file__).resolve().parent
PERIOD = "2026-10"


def generate(scale: str, data: Path) -> None:
    if (data / "inbox" / PERIOD).exists():
        return
    subprocess.run(
        [
            sys.executable,
            "-m",
            "orchestration.cli",
            "generate",
            "--period",
            PERIOD,
            "--scale",
            scale,
            "--out",
            str(data / "inbox"),
        ],
        check=True,
    )


def read_floor(inbox: Path) -> dict[str, float]:
    """Seconds for polars merely to read each source's files into memory as strings."""
    floors = {}
    for source in SOURCES:
        started = time.perf_counter()
        for path in delivered_files(inbox, source):
            read_as_strings(path)
        floors[source] = time.perf_counter() - started
    return floors


def delivered_files(inbox: Path, source: str) -> list[Path]:
    """The source's files in the period's folder (none when the inbox has no such folder)."""
    folder = inbox / PERIOD / source
    return sorted(folder.iterdir()) if folder.is_dir() else []


def read_as_strings(path: Path) -> pl.DataFrame | list[list]:
    """A delivered file's cells, read as plainly as polars can: a CSV's as strings, an xlsx's
    as the Python values its reader gives.

    A GBK/GB18030 export is decoded as polars itself must (it reads only UTF-8
    natively): read as UTF-8 it would be mojibake, not the file's strings.
    """
    if path.suffix != ".csv":
        return (
            python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        )
    with path.open("rb") as handle:
        head = handle.read(1 << 20)
    utf8 = detect_encoding(head) != "gb18030"
    return pl.read_csv(
        path,
        infer_schema=False,
        encoding="utf8-lossy" if utf8 else "gb18030",
        truncate_ragged_lines=True,
    )


def one_run(inbox: Path, out: Path) -> tuple[float, float]:
    """Seconds and peak MiB of one `doudi run`. The peak is read from this run's own exit
    (`wait4`): the process's largest resident set, or a child's of its own (dbt, the
    workbook writers) if larger. `RUSAGE_CHILDREN` would give the largest of every run so far."""
    if out.exists():
        shutil.rmtree(out)
    env = {**os.environ, "DAGSTER_HOME": str(out / "dagster_home")}
    command = [sys.executable, "-m", "orchestration.cli", "run", "--period", PERIOD]
    command += ["--inbox", str(inbox), "--out", str(out)]
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        if child.returncode:
            errors.seek(0)
            sys.exit(f"doudi run failed:\n{errors.read()[-3000:].decode(errors='replace')}")
    return seconds, usage.ru_maxrss / 1024


def stage_times(out: Path) -> dict[str, float]:
    """Seconds per Dagster step of the run (from its event log)."""
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(out / "dagster_home")
    with dg.DagsterInstance.get() as instance:
        run = instance.get_runs(limit=1)[0]
        starts, stages, rule_seconds = {}, {}, {}
        for entry in instance.all_logs(run.run_id):
            event = entry.dagster_event
            if event is None:
                continue
            if event.event_type_value == "STEP_START":
                starts[event.step_key] = entry.timestamp
            elif event.event_type_value == "STEP_SUCCESS":
                stages[event.step_key] = round(entry.timestamp - starts[event.step_key], 3)
            elif event.event_type_value == "ASSET_MATERIALIZATION":
                for name, value in event.materialization.metadata.items():
                    if name.startswith("seconds/"):
                        rule_seconds[name.removeprefix("seconds/")] = value.value
    return {**stages, **{f"rule/{k}": v for k, v in sorted(rule_seconds.items())}}


def rules_against_sql(warehouse: Path, period: str, repeat: int) -> dict:
    """The two heaviest rules in polars and in plain SQL: median seconds, and whether they
    raise the same people."""
    config = load_config()

    @contextmanager
    def connect():
        yield con

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        polars_s, sql_s = [], []
        for _ in range(repeat):
            evaluation = period_hits(
                connect, period, config, ["MED_OOP_UNCOVERED", "CHILD_UNSUPPORTED"]
            )
            hits = evaluation.hits
            # the rules themselves, not the shared placement step
            polars_s.append(sum(evaluation.seconds.values()))
            started = time.perf_counter()
            sql = {
                "MED_OOP_UNCOVERED": sql_rules.med_oop_uncovered(con, period, config),
                "CHILD_UNSUPPORTED": sql_rules.child_unsupported(con, period, config),
            }
            sql_s.append(time.perf_counter() - started)
    finally:
        con.close()
    ours = {code: set(hits.filter(pl.col("rule_code") == code)["person_key"]) for code in sql}
    return {
        "polars_s": statistics.median(polars_s),
        "sql_s": statistics.median(sql_s),
        "match": all(ours[c] == sql[c] for c in sql),
        "leads": {c: len(ours[c]) for c in sql},
    }


def inbox_without(inbox: Path, lesser: Path, source: str | None) -> Path | None:
    """The period's folders less `source`, as hard links (nothing copied; the pipeline
    refuses a symbolic link that points outside its inbox)."""
    if source is None:
        return None
    if lesser.exists():
        shutil.rmtree(lesser)
    for delivered in sorted((inbox / PERIOD).iterdir()):
        if delivered.name != source:
            (lesser / PERIOD / delivered.name).mkdir(parents=True)
            for file in sorted(delivered.iterdir()):
                os.link(file, lesser / PERIOD / delivered.name / file.name)
    return lesser


def added_by_source(source: str | None, runs_without: list[float], end_to_end: float) -> dict:
    if not runs_without:
        return {}
    median = statistics.median(runs_without)
    return {
        "without_source": {
            "source": source,
            "runs_s": [round(s, 1) for s in runs_without],
            "median_s": round(median, 2),
            "added_share": round(end_to_end / median - 1, 3),
        }
    }


def parse_arguments(description: str) -> tuple[argparse.Namespace, Path]:
    """`--scale` and `--repeat` (the benchmark's and its bound's), and the scale's data folder."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--scale", default="small")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--without",
        metavar="SOURCE",
        help="also time runs on the inbox less this source, interleaved with the full runs "
        "(what the source adds end to end)",
    )
    args = parser.parse_args()
    return args, ROOT / "data" / args.scale


def main() -> int:
    args, data = parse_arguments(__doc__)
    print(f"[bench] generating the {args.scale} city once (not timed) ...", flush=True)
    generate(args.scale, data)
    inbox = data / "inbox"
    lesser = inbox_without(inbox, data / f"inbox-without-{args.without}", args.without)
    runs, runs_without = [], []
    for i in range(args.repeat):
        if lesser is not None:
            seconds, _ = one_run(lesser, data / "out")
            runs_without.append(seconds)
            print(f"[bench] run {i + 1}/{args.repeat} without {args.without}: {seconds:.1f}s")
        seconds, peak = one_run(inbox, data / "out")
        stages = stage_times(data / "out")
        runs.append((seconds, peak, stages))
        print(
            f"[bench] run {i + 1}/{args.repeat}: {seconds:.1f}s, peak {peak:,.0f} MiB", flush=True
        )
    end_to_end = statistics.median(r[0] for r in runs)
    peak = max(r[1] for r in runs)  # the highest run: the memory target is a ceiling
    stages = {k: statistics.median(r[2].get(k, 0.0) for r in runs) for k in runs[0][2]}
    floor = read_floor(inbox)
    ingest = {s: stages.get(s, 0.0) for s in SOURCES}
    gates = sum(v for k, v in stages.items() if k.endswith(("_blocking_gate", "_warnings")))
    comparison = rules_against_sql(data / "out" / "warehouse.duckdb", PERIOD, args.repeat)
    con = duckdb.connect(str(data / "out" / "warehouse.duckdb"), read_only=True)
    persons = con.sql("SELECT count(*) FROM ingested.hukou").fetchall()[0][0]
    settlements = con.sql("SELECT count(*) FROM ingested.medical").fetchall()[0][0]
    con.close()
    result = {
        "scale": args.scale,
        "persons": persons,
        "settlements": settlements,
        "repeat": args.repeat,
        "end_to_end_s": round(end_to_end, 2),
        "runs_s": [round(r[0], 1) for r in runs],  # the spread: this machine's speed drifts
        "peak_rss_mib": round(peak),
        "stages": {k: round(v, 3) for k, v in stages.items()},
        "ingest_s": round(sum(ingest.values()), 2),
        "ingest_floor_s": round(sum(floor.values()), 2),
        "ingest_floor_ratio": round(sum(ingest.values()) / max(sum(floor.values()), 1e-9), 2),
        "rules_polars_s": round(comparison["polars_s"], 3),
        "rules_sql_s": round(comparison["sql_s"], 3),
        "rules_vs_sql_ratio": round(comparison["polars_s"] / max(comparison["sql_s"], 1e-9), 2),
        "rules_match_sql": comparison["match"],
        "rules_leads": comparison["leads"],
        **added_by_source(args.without, runs_without, end_to_end),
        "gates_s": round(gates, 2),
        "gates_share": round(gates / end_to_end, 3),
        "machine": {
            "cpus": os.cpu_count(),
            "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
    }
    path = ROOT / "results" / f"{args.scale}.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(f"\n{'stage':<45}{'seconds':>10}")
    for name, value in sorted(stages.items(), key=lambda kv: -kv[1]):
        print(f"{name:<45}{value:>10.2f}")
    print(
        f"\nscale {args.scale}: {persons:,} persons, {settlements:,} settlements on {os.cpu_count()} cores"
    )
    print(f"end to end {end_to_end:.1f}s (median of {args.repeat}), peak {peak:,.0f} MiB")
    print(
        f"ingest {result['ingest_s']}s vs read floor {result['ingest_floor_s']}s: ratio {result['ingest_floor_ratio']}"
    )
    print(
        f"rules (2 heaviest) polars {result['rules_polars_s']}s vs SQL {result['rules_sql_s']}s: "
        f"ratio {result['rules_vs_sql_ratio']}, same leads: {result['rules_match_sql']}"
    )
    if runs_without:
        print(
            f"without {args.without}: {result['without_source']['median_s']}s; "
            f"{args.without} adds {result['without_source']['added_share']:.1%} end to end"
        )
    print(f"gates {gates:.1f}s = {result['gates_share']:.0%} of the run\nwrote {path}")
    return 0 if comparison["match"] else 1


if __name__ == "__main__":
    sys.exit(main())
