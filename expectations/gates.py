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
    per_file = frames.accounting(con, source, period)
    totals = per_file.select(
        pl.col("rows_read", "rows_quarantined", "invalid_ids").sum()
    ).with_columns(
        invalid_id_share=pl.col("invalid_ids") / pl.max_horizontal(pl.col("rows_read"), 1),
        quarantine_share=pl.col("rows_quarantined") / pl.max_horizontal(pl.col("rows_read"), 1),
    )
    if not blocking:
        suite = suites.warning_suite(source, period_as_of(period))
        warnings = validator.check(
            suite, frames.columns_frame(con, source, period, frames.needed_columns(suite))
        )
        quarantined = validator.check(suites.accounting_warning_suite(source), totals)
        row = totals.row(0, named=True)
        for finding in quarantined:
            _observed(finding, f"{row['rows_quarantined']:,} of {row['rows_read']:,} rows")
            finding.examples = (
                [] if finding.success else frames.quarantine_examples(con, source, period)
            )
        return GateReport(source, period, True, [], warnings + quarantined)
    schema = frames.schema_frame(con, source)
    found = validator.check(suites.schema_suite(source, schema.columns), schema)
    suite = suites.blocking_suite(source, gates)
    found += validator.check(
        suite, frames.columns_frame(con, source, period, frames.needed_columns(suite))
    )
    shares = validator.check(suites.accounting_suite(source, gates), totals)
    row = totals.row(0, named=True)
    for finding in shares:
        column = "invalid_ids" if "identity" in finding.what else "rows_quarantined"
        share = row[column] / max(row["rows_read"], 1)
        _observed(finding, f"{share:.1%} ({row[column]:,} of {row['rows_read']:,} rows)")
        finding.examples = (
            []
            if finding.success
            else [
                f"{r['source_file']} {r[column]:,} of {r['rows_read']:,}"
                for r in per_file.sort(
                    pl.col(column) / pl.max_horizontal(pl.col("rows_read"), 1), descending=True
                )
                .head(3)
                .iter_rows(named=True)
            ]
        )
    found += shares
    previous, before, now, by_file = frames.volume(con, source, period)
    basis = f"compared with {previous}" if previous else "first delivery: no volume to compare with"
    if previous is not None:
        volume = suites.volume_suite(source, gates, previous, before)
        for finding in validator.check(volume, pl.DataFrame({"rows": [now]})):
            found.append(_observed(finding, f"{now:,} rows"))
        compared = by_file.filter(
            pl.col("before") >= gates["min_rows_for_file_volume"]
        ).with_columns(ratio=pl.col("now") / pl.col("before"))
        for finding in validator.check(suites.file_volume_suite(source, gates, previous), compared):
            finding.examples = (
                []
                if finding.success
                else [
                    f"{r['source_file']} {r['now']:,} rows, was {r['before']:,}"
                    for r in compared.sort("ratio").head(3).iter_rows(named=True)
                ]
            )
            found.append(finding)
    return GateReport(source, period, True, found, [], basis)


def _observed(finding: Finding, text: str) -> Finding:
    """Summary expectations run on one row: say the figure, not "1 of 1 rows"."""
    finding.observed, finding.unexpected_count, finding.element_count = text, None, None
    return finding
