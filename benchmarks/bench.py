"""`make bench SCALE=…`: time the first month and a routine month of `doudi run`, and each
stage inside them.

Two months are generated together (not timed). The first month runs in a fresh output
folder; the routine month (the second) each time on a copy of the output folder the first
month left. Each is a child process (peak memory = the child's maximum resident set);
stage times come from the run's Dagster event log. In the same sitting: each month's read
floor (polars merely reading that month's files), the ingest bound (benchmarks/ingest_bound.py)
on the first month, the routine month recomputed from scratch (`--recompute`: its leads,
workbooks and marts must be identical), and the two heaviest rules in polars against a plain
DuckDB SQL implementation (which must find the same leads).
"""

from __future__ import annotations

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

from benchmarks import ingest_bound, sql_rules
from benchmarks.city import PERIOD, ROOT, ROUTINE, generate, parse_arguments, read_floor
from benchmarks.fingerprint import fingerprint
from crossmatch.monthly import period_hits
from doudi_core.config import load_config
from sources import SOURCES

# the steps that write the month's outputs whatever was delivered: the marts and their tests,
# the department rosters, the county workbooks (outputs.md asks for each, every month)
OUTPUT_STEPS = ("doudi_dbt_models", "rosters", "exports__county_workbooks")


def one_run(
    inbox: Path, out: Path, period: str = PERIOD, after: Path | None = None, *flags: str
) -> tuple[float, float]:
    """Seconds and peak MiB of one `doudi run` of `period` into `out`: a fresh folder, or a
    copy of the folder `after` (copied before the clock starts). The peak is read from this
    run's own exit (`wait4`): the process's largest resident set, or a child's of its own
    (dbt, the workbook writers) if larger. `RUSAGE_CHILDREN` would give the largest of every
    run so far."""
    if out.exists():
        shutil.rmtree(out)
    if after is not None:
        shutil.copytree(after, out)
    env = {**os.environ, "DAGSTER_HOME": str(out / "dagster_home")}
    command = [sys.executable, "-m", "orchestration.cli", "run", "--period", period, *flags]
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
                connect, period, config, ["MED_OOP_UNCOVERED", "CHILD_UNSUPPORTED"], keep=False
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


def timed_runs(inbox: Path, out: Path, repeat: int, period: str, after: Path | None = None):
    """`repeat` runs of `period`: (seconds, peak MiB, stage seconds) each."""
    runs = []
    for i in range(repeat):
        seconds, peak = one_run(inbox, out, period, after)
        runs.append((seconds, peak, stage_times(out)))
        print(
            f"[bench] {period} run {i + 1}/{repeat}: {seconds:.1f}s, peak {peak:,.0f} MiB",
            flush=True,
        )
    return runs


def medians(runs: list) -> tuple[float, float, dict[str, float]]:
    """Median seconds, the highest peak (the memory target is a ceiling), median stages."""
    stages = {k: statistics.median(r[2].get(k, 0.0) for r in runs) for k in runs[0][2]}
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs), stages


def outputs_and_rest(seconds: float, stages: dict[str, float]) -> tuple[float, float]:
    """Of a run's `seconds`: the output steps' (OUTPUT_STEPS), and what no step accounts for
    (the process's start, Dagster between steps, the summary). A rule's seconds (`rule/…`)
    are inside the lead states' step, not a step of their own."""
    steps = {k: v for k, v in stages.items() if not k.startswith("rule/")}
    return sum(steps.get(k, 0.0) for k in OUTPUT_STEPS), seconds - sum(steps.values())


def median_outputs_and_rest(runs: list) -> tuple[float, float]:
    """The medians over `runs` of each run's own `outputs_and_rest`: taken from the stages'
    medians instead, a slow run's total would be set against faster runs' steps."""
    split = [outputs_and_rest(seconds, stages) for seconds, _, stages in runs]
    return statistics.median(o for o, _ in split), statistics.median(r for _, r in split)


def floors(inbox: Path, period: str, repeat: int) -> float:
    """The median over `repeat` reads of the period's files (seconds)."""
    return statistics.median(sum(read_floor(inbox, period).values()) for _ in range(repeat))


def same_as_recomputed(inbox: Path, data: Path, first_out: Path, routine_out: Path) -> list[str]:
    """The routine month recomputed from scratch (`--recompute`) on a copy of the first
    month's folder: the outputs (leads files, workbooks, marts) that differ from the timed
    routine run's (none, or the reuse changed a result)."""
    again = data / "out-recomputed"
    one_run(inbox, again, ROUTINE, first_out, "--recompute")
    timed, recomputed = fingerprint(routine_out), fingerprint(again)
    shutil.rmtree(again)
    return sorted(k for k in timed.keys() | recomputed.keys() if timed.get(k) != recomputed.get(k))


def main() -> int:
    args, data = parse_arguments(__doc__)
    print(f"[bench] generating the {args.scale} city's two months once (not timed) ...", flush=True)
    generate(args.scale, data)
    inbox = data / "inbox"
    lesser = inbox_without(inbox, data / f"inbox-without-{args.without}", args.without)
    first_out, out = data / "out-first", data / "out"
    runs, runs_without = [], []
    for i in range(args.repeat):
        if lesser is not None:
            seconds, _ = one_run(lesser, first_out)
            runs_without.append(seconds)
            print(f"[bench] run {i + 1}/{args.repeat} without {args.without}: {seconds:.1f}s")
        # in the folder the routine months run in, as an operator's months do (dbt parses
        # the project again when the warehouse's path changes)
        runs += timed_runs(inbox, out, 1, PERIOD)
        shutil.rmtree(first_out, ignore_errors=True)
        out.rename(first_out)
    end_to_end, peak, stages = medians(runs)
    routine_runs = timed_runs(inbox, out, args.repeat, ROUTINE, after=first_out)
    routine_s, routine_peak, routine_stages = medians(routine_runs)
    print("[bench] the read floors, the ingest bound, the recomputed routine month ...", flush=True)
    first_floor_s, routine_floor_s = (
        floors(inbox, PERIOD, args.repeat),
        floors(inbox, ROUTINE, args.repeat),
    )
    bound = ingest_bound.one_measure(inbox, first_out / "warehouse.duckdb")
    bound_s = bound["cpu_s"] / (os.cpu_count() or 1)
    differing = same_as_recomputed(inbox, data, first_out, out)
    ingest = {s: stages.get(s, 0.0) for s in SOURCES}
    gates = sum(v for k, v in stages.items() if k.endswith(("_blocking_gate", "_warnings")))
    comparison = rules_against_sql(out / "warehouse.duckdb", PERIOD, args.repeat)
    first_outputs_s, first_outside_s = median_outputs_and_rest(runs)
    routine_outputs_s, routine_outside_s = median_outputs_and_rest(routine_runs)
    con = duckdb.connect(str(out / "warehouse.duckdb"), read_only=True)
    persons = con.sql(
        "SELECT count(*) FROM ingested.hukou WHERE period = ?", params=[PERIOD]
    ).fetchall()[0][0]
    settlements = con.sql(
        "SELECT count(*) FROM ingested.medical WHERE delivery_period = ?", params=[PERIOD]
    ).fetchall()[0][0]
    con.close()
    result = {
        "scale": args.scale,
        "persons": persons,
        "settlements": settlements,
        "repeat": args.repeat,
        "first_period": PERIOD,
        "routine_period": ROUTINE,
        "first_s": round(end_to_end, 2),
        "first_floor_s": round(first_floor_s, 2),
        "first_floor_ratio": round(end_to_end / first_floor_s, 2),
        "routine_s": round(routine_s, 2),
        "routine_floor_s": round(routine_floor_s, 2),
        "routine_floor_ratio": round(routine_s / routine_floor_s, 2),
        "routine_peak_rss_mib": round(routine_peak),
        "routine_stages": {k: round(v, 3) for k, v in routine_stages.items()},
        # what the ratios cannot go below whatever the ingest does: the output steps alone
        # over the floor, and the time outside every step (medians over the runs)
        "first_outputs_s": round(first_outputs_s, 2),
        "first_outputs_floor_ratio": round(first_outputs_s / first_floor_s, 2),
        "first_outside_steps_s": round(first_outside_s, 2),
        "routine_outputs_s": round(routine_outputs_s, 2),
        "routine_outputs_floor_ratio": round(routine_outputs_s / routine_floor_s, 2),
        "routine_outside_steps_s": round(routine_outside_s, 2),
        "routine_same_as_recomputed": not differing,
        "routine_differing_outputs": differing,
        "ingest_bound_s": round(bound_s, 2),
        "ingest_bound_ratio": round(sum(ingest.values()) / bound_s, 2),
        "end_to_end_s": round(end_to_end, 2),
        "runs_s": [round(r[0], 1) for r in runs],  # the spread: this machine's speed drifts
        "peak_rss_mib": round(peak),
        "stages": {k: round(v, 3) for k, v in stages.items()},
        "ingest_s": round(sum(ingest.values()), 2),
        "ingest_floor_s": round(first_floor_s, 2),  # the first month's files, read once above
        "ingest_floor_ratio": round(sum(ingest.values()) / first_floor_s, 2),
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
    print(f"\n{'stage':<45}{'first s':>10}{'routine s':>10}")
    for name, value in sorted(stages.items(), key=lambda kv: -kv[1]):
        print(f"{name:<45}{value:>10.2f}{routine_stages.get(name, 0.0):>10.2f}")
    print(
        f"\nscale {args.scale}: {persons:,} persons, {settlements:,} settlements in {PERIOD} "
        f"on {os.cpu_count()} cores"
    )
    print(
        f"first month {end_to_end:.1f}s = {result['first_floor_ratio']} × its read floor "
        f"{first_floor_s:.1f}s (median of {args.repeat}), peak {peak:,.0f} MiB"
    )
    print(
        f"routine month {routine_s:.1f}s = {result['routine_floor_ratio']} × its read floor "
        f"{routine_floor_s:.1f}s (median of {args.repeat}), peak {routine_peak:,.0f} MiB"
    )
    print(
        f"the output steps ({', '.join(OUTPUT_STEPS)}) alone: first month {first_outputs_s:.1f}s "
        f"= {result['first_outputs_floor_ratio']} × its floor, routine month "
        f"{routine_outputs_s:.1f}s = {result['routine_outputs_floor_ratio']} × its floor; "
        f"outside any step {first_outside_s:.1f}s and {routine_outside_s:.1f}s"
    )
    print(
        f"first-month ingest {result['ingest_s']}s = {result['ingest_bound_ratio']} × the ingest "
        f"bound {bound_s:.1f}s"
    )
    print(
        "routine month recomputed from scratch: "
        + ("identical outputs" if not differing else f"DIFFERENT: {', '.join(differing)}")
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
    print(f"gates {gates:.1f}s = {result['gates_share']:.0%} of the first month\nwrote {path}")
    return 0 if comparison["match"] and not differing else 1


if __name__ == "__main__":
    sys.exit(main())
