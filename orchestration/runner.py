"""Execute the `monthly` job for one period and print a summary a person can act on."""

from __future__ import annotations

import shutil
import sys

import dagster as dg
import duckdb
import polars as pl

from doudi_core.config import load_config
from doudi_core.pseudonym import PseudonymKeyError, load_key
from doudi_core.runlock import RunInProgress, run_lock
from doudi_core.settings import Paths
from ingest.load import table_exists
from orchestration.definitions import defs, resources_for
from orchestration.resources import DoudiResource


def run_period(period: str, paths: Paths) -> int:
    try:
        with run_lock(paths.out):
            return _run_period(period, paths)
    except RunInProgress as error:
        print(f"doudi run: {error}", file=sys.stderr)
        return 3


def _run_period(period: str, paths: Paths) -> int:
    print(f"doudi run {period}: inbox {paths.inbox}, warehouse {paths.warehouse}")
    try:
        load_key(require_explicit=load_config().raw["pseudonym"]["require_explicit_key"])
    except PseudonymKeyError as error:
        print(f"doudi run: {error}", file=sys.stderr)
        return 2
    job = defs.resolve_job_def("monthly")
    with dg.DagsterInstance.get() as instance:
        result = job.execute_in_process(
            partition_key=period,
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
            resources=resources_for(DoudiResource.from_paths(paths)),
        )
    _print_accounting(period, paths)
    blocked = _print_quality(period, paths)
    if result.success and not blocked:
        _print_leads(period, paths)
        print(f"run {period}: completed (Dagster run {result.run_id[:8]})")
        return 0
    for event in result.all_events:
        if event.is_step_failure and "blocking_gate" not in (event.step_key or ""):
            print(
                f"FAILED {event.step_key}: {_failure_message(event.step_failure_data)}",
                file=sys.stderr,
            )
    removed = unpublish(period, paths)
    print(
        f"run {period}: FAILED; no leads or workbooks published for {period}"
        + (f" (removed the earlier {', '.join(removed)})" if removed else ""),
        file=sys.stderr,
    )
    return 1


def unpublish(period: str, paths: Paths) -> list[str]:
    """A failed run leaves no leads file or workbooks for its period (earlier periods untouched)."""
    removed = []
    leads = paths.out / "leads" / f"{period}.parquet"
    if leads.exists():
        leads.unlink()
        removed.append(str(leads.relative_to(paths.out)))
    exports = paths.out / "exports" / period
    if exports.exists():
        shutil.rmtree(exports)
        removed.append(str(exports.relative_to(paths.out)))
    return removed


def _print_quality(period: str, paths: Paths) -> int:
    """Print failed blocking gates (to stderr) and tolerated warnings; returns how many blocked."""
    if not paths.warehouse.exists():
        return 0
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    try:
        if not table_exists(con, "ingested", "quality_results"):
            return 0
        rows = con.sql(
            "SELECT source, severity, what, expectation, unexpected_count, element_count, observed, examples "
            "FROM ingested.quality_results WHERE period = ? AND NOT success ORDER BY severity, source, what",
            params=[period],
        ).pl()
    finally:
        con.close()
    blocked = rows.filter(pl.col("severity") == "blocking")
    for r in blocked.iter_rows(named=True):
        print(f"BLOCKED {r['source']}: {_describe(r)}", file=sys.stderr)
    tolerated = rows.filter(pl.col("severity") == "warning")
    if tolerated.height:
        print(
            f"Quality warnings tolerated ({tolerated.height}); report: {paths.out / 'quality' / period / 'index.html'}"
        )
        for r in tolerated.iter_rows(named=True):
            print(f"  warning {r['source']}: {_describe(r)}")
    return blocked.height


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


def _print_accounting(period: str, paths: Paths) -> None:
    if not paths.warehouse.exists():
        return
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    try:
        if not table_exists(con, "ingested", "file_accounting"):
            return
        frame = con.sql(
            "SELECT source, file, rows_read, rows_loaded, rows_quarantined FROM ingested.file_accounting "
            "WHERE period = ? ORDER BY source, file",
            params=[period],
        ).pl()
        reasons = con.sql(
            "SELECT source, reason, count(*) AS n FROM ingested.quarantine WHERE period = ? "
            "GROUP BY ALL ORDER BY source, reason",
            params=[period],
        ).pl()
    finally:
        con.close()
    by_source = frame.group_by("source", maintain_order=True).agg(
        pl.len().alias("files"), pl.col("rows_read", "rows_loaded", "rows_quarantined").sum()
    )
    print(f"\nRow accounting for {period} (rows read = loaded + quarantined):")
    for row in by_source.iter_rows(named=True):
        ok = (
            "ok" if row["rows_read"] == row["rows_loaded"] + row["rows_quarantined"] else "MISMATCH"
        )
        print(
            f"  {row['source']:<11} {row['files']:>2} files  read {row['rows_read']:>10,}  "
            f"loaded {row['rows_loaded']:>10,}  quarantined {row['rows_quarantined']:>7,}  {ok}"
        )
    if reasons.height:
        print(
            "  quarantined by reason: "
            + "; ".join(
                f"{r['source']} {r['reason']} {r['n']}" for r in reasons.iter_rows(named=True)
            )
        )


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
