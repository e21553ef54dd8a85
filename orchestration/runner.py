"""Execute the `monthly` job for one or more periods and print a summary a person can act on.

The terminal gets one line per problem and the path of the run's log; Dagster's event
log, tracebacks and dbt's own output go to that log (and to the Dagster run), never to
the terminal.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
import uuid
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl

from doudi_core.config import load_config
from doudi_core.runlock import RunInProgress, run_lock
from doudi_core.settings import Paths
from expectations import report
from orchestration import preflight
from orchestration.dbt_assets import doudi_dbt_models
from orchestration.definitions import defs, resources_for
from orchestration.resources import DoudiResource
from workbooks.publications import published_sources

LEADS_STEP = "leads__lead_states"
DBT_STEP = doudi_dbt_models.op.name


def _ingested(result: dg.ExecuteInProcessResult) -> dict[str, int]:
    """The sources this run loaded (a failed ingest's figures in the warehouse are older),
    each with the rows it reused unchanged from its previous delivery."""
    return {
        event.asset_key.path[1]: _metadata_int(event, "rows_reused")
        for event in result.get_asset_materialization_events()
        if event.asset_key.path[0] == "ingested"
    }


def _metadata_int(event: dg.DagsterEvent, name: str) -> int:
    value = event.materialization.metadata.get(name)
    return int(value.value) if value is not None else 0


def run_periods(
    periods: list[str], paths: Paths, replace: bool = False, recompute: bool = False
) -> int:
    """Run the periods in order (each month's leads build on the month before).

    Every check that can refuse the run comes first, for every period, before anything
    is written; a period already published is not republished from fewer deliveries
    unless `replace`. With `recompute`, nothing of an earlier month's work is reused.
    """
    try:
        preflight.check_inputs(paths.inbox, periods)
        with run_lock(paths.out):
            preflight.wait_for_warehouse(paths.warehouse)
            preflight.check_published(paths.warehouse, paths.inbox, periods, replace)
            paths.prepare_dagster_home()
            for period in periods:
                status = _run_period(period, paths, recompute)
                if status:
                    return status
            return 0
    except preflight.Refused as refused:
        for problem in refused.problems:
            print(f"doudi run: {problem}", file=sys.stderr)
        return refused.status
    except RunInProgress as error:
        print(f"doudi run: {error}", file=sys.stderr)
        return preflight.IN_USE


def run_period(period: str, paths: Paths, replace: bool = False) -> int:
    return run_periods([period], paths, replace)


def _run_period(period: str, paths: Paths, recompute: bool) -> int:
    run_id = str(uuid.uuid4())
    log = paths.out / "logs" / f"{period}-{run_id[:8]}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    print(f"doudi run {period}: inbox {paths.inbox}, warehouse {paths.warehouse}")
    started = dt.datetime.now(dt.UTC)
    job = defs.resolve_job_def("monthly")
    with (
        log.open("w", encoding="utf-8") as handle,
        redirect_stdout(handle),
        redirect_stderr(handle),
        dg.DagsterInstance.get() as instance,
    ):
        result = job.execute_in_process(
            partition_key=period,
            instance=instance,
            raise_on_error=False,
            run_id=run_id,
            run_config={"loggers": {"console": {"config": {"log_level": "DEBUG"}}}},
            resources=resources_for(DoudiResource.from_paths(paths, recompute)),
        )
    _print_accounting(period, paths, _ingested(result))
    for line in _without_delivery(result) + _skipped_rules(result):
        print(line)
    blocked, warned = _print_quality(period, paths)
    failures = _failures(result)
    for line in failures:
        print(line, file=sys.stderr)
    if any(event.is_step_start and event.step_key == DBT_STEP for event in result.all_events):
        _print_dbt(paths.out / "dbt" / period)
    problems = [*blocked, *failures]
    succeeded = result.success and not problems
    _render_report(period, paths, run_id, started, succeeded, problems, warned)
    if succeeded:
        _print_leads(period, paths)
        for line in _repair_lines(result, period, paths):
            print(line)
        _print_rosters(period, paths)
        print(f"run {period}: completed (Dagster run {run_id[:8]}; log {log})")
        return 0
    print(
        f"run {period}: FAILED. {_publication_after_failure(result, period, paths)}",
        file=sys.stderr,
    )
    print(f"  full detail (tracebacks, Dagster events, dbt): {log}", file=sys.stderr)
    return 1


def _without_delivery(result: dg.ExecuteInProcessResult) -> list[str]:
    """One line per source the period's folder did not deliver: what stands instead, or that
    it was never delivered."""
    lines = []
    for event in result.get_asset_materialization_events():
        metadata = event.materialization.metadata
        read = metadata.get("rows_read")
        if event.asset_key.path[0] == "ingested" and read is not None and read.value == 0:
            lines.append(f"  {event.asset_key.path[1]}: {metadata['delivery'].value}")
    return sorted(lines)


def _skipped_rules(result: dg.ExecuteInProcessResult) -> list[str]:
    """One line per reason some rules did not run (a source the period lacks)."""
    by_reason: dict[str, list[str]] = {}
    for event in result.get_asset_materialization_events():
        if event.asset_key.path == ["leads", "lead_states"]:
            for key, value in event.materialization.metadata.items():
                if key.startswith("skipped/"):
                    by_reason.setdefault(value.value, []).append(key.removeprefix("skipped/"))
    return [f"  rules skipped ({why}): {', '.join(codes)}" for why, codes in by_reason.items()]


def _failures(result: dg.ExecuteInProcessResult) -> list[str]:
    """One line per problem of each failed step (a source's step names every rejected file);
    failed blocking gates are printed from the recorded quality results instead."""
    lines = []
    for event in result.all_events:
        if event.is_step_failure and "blocking_gate" not in (event.step_key or ""):
            step = (event.step_key or "run").replace("__", "/")
            for problem in _failure_message(event.step_failure_data).splitlines():
                problem = problem.strip()
                if problem:
                    named = problem.startswith(f"{step}:")  # a source's own message names it
                    lines.append(f"FAILED {problem}" if named else f"FAILED {step}: {problem}")
    return lines


def _publication_after_failure(result: dg.ExecuteInProcessResult, period: str, paths: Paths) -> str:
    """A failed run publishes nothing for its period and leaves an earlier publication of it
    as it was. Only when this run had already replaced the leads file (the failure came
    later, writing workbooks) are the period's outputs removed: half of a publication is
    worse than none."""
    wrote_leads = any(
        event.is_step_success and event.step_key == LEADS_STEP for event in result.all_events
    )
    if wrote_leads:
        removed = unpublish(period, paths)
        return f"no leads or workbooks published for {period} (removed {', '.join(removed)})"
    con = _read_only(paths)
    try:
        earlier = con is not None and published_sources(con, period) is not None
    finally:
        if con is not None:
            con.close()
    if earlier:
        return f"the leads and workbooks published earlier for {period} stand unchanged"
    return f"no leads or workbooks published for {period}"


def unpublish(period: str, paths: Paths) -> list[str]:
    """Remove the period's leads and repairs files, workbooks and rosters (earlier periods
    untouched)."""
    removed = []
    for file in (
        paths.out / "leads" / f"{period}.parquet",
        paths.out / "repairs" / f"{period}.parquet",
    ):
        if file.exists():
            file.unlink()
            removed.append(str(file.relative_to(paths.out)))
    for folder in (paths.out / "exports" / period, paths.out / "rosters" / period):
        if folder.exists():
            shutil.rmtree(folder)
            removed.append(str(folder.relative_to(paths.out)))
    return removed


def _read_only(paths: Paths) -> duckdb.DuckDBPyConnection | None:
    return (
        duckdb.connect(str(paths.warehouse), read_only=True) if paths.warehouse.exists() else None
    )


def _render_report(
    period: str,
    paths: Paths,
    run_id: str,
    started: dt.datetime,
    succeeded: bool,
    problems: list[str],
    warned: int,
) -> None:
    outcome = report.RunOutcome(
        run_id=run_id,
        started=started.strftime("%Y-%m-%d %H:%M UTC"),
        config_version=load_config().version,
        completed=succeeded,
        problems=problems,
        warnings=warned,
    )
    con = duckdb.connect(str(paths.warehouse)) if paths.warehouse.exists() else duckdb.connect()
    try:
        path = report.render(con, paths.out, period, outcome)
    finally:
        con.close()
    print(f"quality report: {path}")


def _print_quality(period: str, paths: Paths) -> tuple[list[str], int]:
    """Print failed blocking gates (to stderr) and tolerated warnings; returns the blocking
    lines and how many warnings were tolerated."""
    con = _read_only(paths)
    if con is None:
        return [], 0
    try:
        rows = report.failed_checks(con, period)
    finally:
        con.close()
    blocked = [
        f"BLOCKED {r['source']}: {_describe(r)}"
        for r in rows.filter(pl.col("severity") == "blocking").iter_rows(named=True)
    ]
    for line in blocked:
        print(line, file=sys.stderr)
    tolerated = rows.filter(pl.col("severity") == "warning")
    if tolerated.height:
        print(f"Quality warnings tolerated ({tolerated.height}):")
        for r in tolerated.iter_rows(named=True):
            print(f"  warning {r['source']}: {_describe(r)}")
    return blocked, tolerated.height


def _describe(r: dict) -> str:
    if r["unexpected_count"] is not None and r["element_count"]:
        share = r["unexpected_count"] / r["element_count"]
        counts = f"{r['unexpected_count']:,} of {r['element_count']:,} rows ({share:.1%})"
    else:
        counts = f"observed {r['observed']}"
    where = f"; {r['examples']}" if r["examples"] else ""
    return f"{r['what']}: {counts}{where} [{r['expectation']}]"


def _failure_message(data) -> str:
    """The user-facing description of a dg.Failure, else the root cause's message."""
    if data.user_failure_data and data.user_failure_data.description:
        return data.user_failure_data.description
    error = data.error
    while error is not None and error.cause is not None:
        error = error.cause
    return error.message.strip() if error else "unknown error"


def _print_dbt(folder: Path) -> None:
    """dbt's result in one line; its full log stays in OUT/dbt/<period>/dbt.log."""
    results = folder / "run_results.json"
    if not results.exists():
        return
    nodes = json.loads(results.read_text(encoding="utf-8"))["results"]
    kinds = {"model": 0, "test": 0, "unit_test": 0}
    statuses: dict[str, int] = {}
    for node in nodes:
        kind = node["unique_id"].split(".")[0]
        kinds[kind] = kinds.get(kind, 0) + 1
        statuses[node["status"]] = statuses.get(node["status"], 0) + 1
    outcome = ", ".join(f"{n} {status}" for status, n in sorted(statuses.items()))
    print(
        f"dbt: {kinds['model']} models, {kinds['test']} tests, {kinds['unit_test']} unit tests: "
        f"{outcome} (log {folder / 'dbt.log'})"
    )


def _print_accounting(period: str, paths: Paths, ingested: dict[str, int]) -> None:
    con = _read_only(paths)
    if con is None:
        return
    try:
        by_source, reasons = report.accounting_by_source(con, period, sorted(ingested))
    finally:
        con.close()
    print(f"\nRow accounting for {period} (rows read = loaded + quarantined + skipped):")
    for row in by_source.iter_rows(named=True):
        balanced = row["rows_loaded"] + row["rows_quarantined"] + row["rows_skipped"]
        ok = "ok" if row["rows_read"] == balanced else "MISMATCH"
        skipped = f"  skipped {row['rows_skipped']:>7,}" if row["rows_skipped"] else ""
        reused = ingested.get(row["source"], 0)
        unchanged = f"  ({reused:,} unchanged since the last delivery)" if reused else ""
        print(
            f"  {row['source']:<11} {row['files']:>2} files  read {row['rows_read']:>10,}  "
            f"loaded {row['rows_loaded']:>10,}  quarantined {row['rows_quarantined']:>7,}{skipped}"
            f"  {ok}{unchanged}"
        )
    if reasons.height:
        print(
            "  quarantined by reason: "
            + "; ".join(
                f"{r['source']} {r['reason']} {r['n']}" for r in reasons.iter_rows(named=True)
            )
        )


def _repair_lines(result: dg.ExecuteInProcessResult, period: str, paths: Paths) -> list[str]:
    """The identity-repair figures (and, for a generated city, how they fare on its truth)."""
    for event in result.get_asset_materialization_events():
        if event.asset_key.path != ["vault", "repair_suggestions"]:
            continue
        m = {k: v.value for k, v in event.materialization.metadata.items()}
        kinds = ", ".join(f"{k[5:]} {n:,}" for k, n in m.items() if k.startswith("kind/"))
        model = f"model {m['model_version']}" + (" (fitted this run)" if m["fitted"] else "")
        lines = [
            f"Identity repair for {period}: {m['mismatches']:,} mismatched records, "
            f"{m['suggestions']:,} suggestions" + (f" ({kinds})" if kinds else ""),
            f"  {model}; {m['scored']:,} scored, {m['reused']:,} reused from last period; "
            f"{m['seconds']:.1f}s; in {m['file']}",
        ]
        truth = paths.inbox.parent / "truth" / period / "repairs.csv"
        if truth.exists():
            from repair.evaluate import summary_line

            lines.append("  " + summary_line(Path(m["file"]), truth))
        return lines
    return []


def _print_rosters(period: str, paths: Paths) -> None:
    manifest = paths.out / "rosters" / period / "manifest.json"
    if not manifest.exists():
        return
    entries = json.loads(manifest.read_text(encoding="utf-8"))["rosters"]
    counts = ", ".join(f"{e['department']} {e['rows']:,}" for e in entries)
    print(f"Rosters for {period} (rows): {counts}; in {manifest.parent}")


def _print_leads(period: str, paths: Paths) -> None:
    path = paths.out / "leads" / f"{period}.parquet"
    if not path.exists():
        return
    leads = pl.read_parquet(path)
    counts = (
        leads.group_by("rule_code")
        .agg(new=(pl.col("status") == "新增").sum(), continuing=(pl.col("status") == "持续").sum())
        .sort("rule_code")
    )
    print(f"\nLeads for {period}: {leads.height:,} in {path}")
    for row in counts.iter_rows(named=True):
        print(f"  {row['rule_code']:<27} new {row['new']:>6,}  continuing {row['continuing']:>6,}")
    truth = paths.inbox.parent / "truth" / period / "leads.csv"
    if truth.exists():  # a generated city: say how the rules did against its planted truth
        from synth.score import score

        result = score(leads, truth)
        totals = result.per_rule.select(
            pl.col("must", "raised", "must_not", "forbidden").sum()
        ).row(0)
        verdict = (
            "all planted leads raised, no decoy" if result.perfect else "MISSES OR FORBIDDEN LEADS"
        )
        print(
            f"  against the planted truth: {totals[1]}/{totals[0]} must-raise raised, "
            f"{totals[3]}/{totals[2]} decoys raised: {verdict}"
        )
