"""Execute the `monthly` job for one period and print a summary a person can act on."""

from __future__ import annotations

import sys

import dagster as dg
import duckdb
import polars as pl

from doudi_core.config import load_config
from doudi_core.pseudonym import PseudonymKeyError, load_key
from doudi_core.settings import Paths
from orchestration.definitions import defs


def run_period(period: str, paths: Paths) -> int:
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
        )
    _print_accounting(period, paths)
    if result.success:
        _print_leads(period, paths)
        print(f"run {period}: completed (Dagster run {result.run_id[:8]})")
        return 0
    for event in result.all_events:
        if event.is_step_failure:
            error = event.step_failure_data.error
            message = (
                event.step_failure_data.user_failure_data.description
                if (event.step_failure_data.user_failure_data)
                else (error.message.strip() if error else "")
            )
            print(f"FAILED {event.step_key}: {message}", file=sys.stderr)
    print(f"run {period}: FAILED; nothing downstream of the failure was published", file=sys.stderr)
    return 1


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
        tables = {
            t
            for (t,) in con.sql(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'ingested'"
            ).fetchall()
        }
        if "file_accounting" not in tables:
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
