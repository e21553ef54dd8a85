"""The quality gate of one source for one period: which suites over which frames."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from doudi_core.config import Config
from doudi_core.period import as_of as period_as_of
from expectations import frames, suites
from expectations.validate import Finding, Validator
from ingest.load import table_exists


@dataclass
class GateReport:
    source: str
    period: str
    delivered: bool
    blocking: list[Finding]
    warnings: list[Finding]
    note: str = ""

    @property
    def passed(self) -> bool:
        return all(f.success for f in self.blocking)

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.blocking if not f.success]

    @property
    def tolerated(self) -> list[Finding]:
        return [f for f in self.warnings if not f.success]


def delivered(con: duckdb.DuckDBPyConnection, source: str, period: str) -> bool:
    return table_exists(con, "ingested", "file_accounting") and bool(
        con.sql(
            "SELECT count(*) FROM ingested.file_accounting WHERE source = ? AND period = ?",
            params=[source, period],
        ).fetchall()[0][0]
    )


def run_gate(
    con: duckdb.DuckDBPyConnection,
    source: str,
    period: str,
    config: Config,
    validator: Validator,
    blocking: bool = True,
) -> GateReport:
    """The blocking suites (blocking=True) or the warning suites of one source and period."""
    if not delivered(con, source, period):
        return GateReport(source, period, False, [], [], "no new delivery: nothing new to check")
    gates = config.raw["gates"]
    as_of = period_as_of(period)
    table = frames.table_frame(con, source, period)
    reasons = frames.reasons_frame(con, source, period)
    if not blocking:
        warnings = validator.check(suites.warning_suite(source, as_of), table)
        warnings += validator.check(suites.accounting_warning_suite(source), reasons)
        return GateReport(source, period, True, [], warnings)
    blocking = validator.check(
        suites.blocking_suite(source, frames.contract_columns(table), gates), table
    )
    blocking += validator.check(suites.accounting_suite(source, gates), reasons)
    previous, before, by_file = frames.volume(con, source, period)
    basis = f"compared with {previous}" if previous else "first delivery: no volume to compare with"
    if previous is not None:
        volume_rows = table
        if source == "medical":
            volume_rows = table.filter(pl.col("settlement_date").dt.strftime("%Y-%m") == period)
        blocking += validator.check(
            suites.volume_suite(source, gates, previous, before),
            volume_rows.select(pl.int_range(pl.len()).alias("row")),
        )
        compared = by_file.filter(
            pl.col("before") >= gates["min_rows_for_file_volume"]
        ).with_columns(ratio=pl.col("now") / pl.col("before"))
        findings = validator.check(suites.file_volume_suite(source, gates, previous), compared)
        for finding in findings:
            finding.examples = (
                [
                    f"{r['source_file']} {r['now']:,} rows, was {r['before']:,}"
                    for r in compared.sort("ratio").head(3).iter_rows(named=True)
                ]
                if not finding.success
                else []
            )
        blocking += findings
    return GateReport(source, period, True, blocking, [], basis)
