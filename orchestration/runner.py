"""Execute the `monthly` job for one period and print a summary a person can act on."""

from __future__ import annotations

import sys

import dagster as dg
import duckdb
import polars as pl

from doudi_core.settings import Paths
from orchestration.definitions import defs


def run_period(period: str, paths: Paths) -> int:
    print(f"doudi run {period}: inbox {paths.inbox}, warehouse {paths.warehouse}")
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
