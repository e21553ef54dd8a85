"""The quality gate of one source for one period: which suites over which frames."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from doudi_core.config import Config
from doudi_core.period import as_of as period_as_of
from doudi_core.warehouse import table_exists
from expectations import frames, suites
from expectations.validate import Finding, Validator
from sources import SOURCES
from sources.contract import Source


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
    warehouse: Path,
    connect: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]],
    source: str | Source,
    period: str,
    config: Config,
    validator: Validator,
    blocking: bool = True,
) -> GateReport:
    """The blocking suites (blocking=True) or the warning suites of one source and period.

    The small frames are read through `connect` first; the delivery's rows are
    then validated in place by GX (which needs the file to itself).
    """
    source = source if isinstance(source, Source) else SOURCES[source]
    name = source.name
    with connect() as con:
        if not delivered(con, name, period):
            return GateReport(name, period, False, [], [], "no new delivery: nothing new to check")
        per_file = frames.accounting(con, name, period)
        examples = frames.quarantine_examples(con, name, period)
        schema = frames.schema_frame(con, source)
        previous, before, now, by_file = frames.volume(con, source, period)
        # the key count belongs to the blocking suites alone: a city's takes ~1 s
        duplicates, duplicate_examples = (
            frames.duplicate_keys(con, source, period) if blocking else (None, [])
        )
        earlier = frames.previous_quarantine_share(con, name, period)
    checked = pl.max_horizontal(pl.col("rows_read") - pl.col("rows_skipped"), 1)
    totals = per_file.select(
        pl.col("rows_read", "rows_skipped", "rows_quarantined", "invalid_ids").sum(),
        empty_files=(pl.col("rows_read") == 0).sum(),
    ).with_columns(
        invalid_id_share=pl.col("invalid_ids") / checked,
        quarantine_share=pl.col("rows_quarantined") / checked,
    )
    row = totals.row(0, named=True)

    def rows_suite(suite):
        columns = frames.needed_columns(suite)
        query = frames.columns_query(source, period, columns)
        return validator.check_query(
            suite, warehouse, query, [*columns, "source_file", "source_row"]
        )

    gates = config.raw["gates"]
    if not blocking:
        warnings = rows_suite(suites.warning_suite(source, period_as_of(period)))
        if earlier is not None:
            rise = suites.quarantine_rise_suite(source, gates, *earlier)
            for finding in validator.check(rise, totals):
                _observed(
                    finding, f"{row['quarantine_share']:.1%} ({row['rows_quarantined']:,} rows)"
                )
                finding.examples = [] if finding.success else examples
                warnings.append(finding)
        return GateReport(name, period, True, [], warnings)
    found = validator.check(suites.schema_suite(source, schema.columns), schema)
    blocking_rows = suites.blocking_suite(source, gates)
    if blocking_rows.expectations:  # a source with balances has row checks that block
        found += rows_suite(blocking_rows)
    for finding in validator.check(suites.key_suite(source), duplicates):
        _observed(finding, f"{duplicates['duplicate_rows'].item():,} rows repeat a key")
        finding.examples = [] if finding.success else duplicate_examples
        found.append(finding)
    shares = validator.check(suites.accounting_suite(source, gates), totals)
    for finding in shares:
        if "snapshot" in finding.what:
            empty = per_file.filter(pl.col("rows_read") == 0)["source_file"].to_list()
            _observed(finding, f"{len(empty)} of {per_file.height} files without rows")
            finding.examples = empty[:5]
            continue
        column = "invalid_ids" if "identity" in finding.what else "rows_quarantined"
        read = row["rows_read"] - row["rows_skipped"]
        share = row[column] / max(read, 1)
        _observed(finding, f"{share:.1%} ({row[column]:,} of {read:,} rows)")
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
    basis = f"compared with {previous}" if previous else "first delivery: no volume to compare with"
    if previous is not None:
        if before >= gates["min_rows_for_file_volume"]:  # a handful of rows is no trend
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
    return GateReport(name, period, True, found, [], basis)


def _observed(finding: Finding, text: str) -> Finding:
    """Summary expectations run on one row: say the figure, not "1 of 1 rows"."""
    finding.observed, finding.unexpected_count, finding.element_count = text, None, None
    return finding


def run_feedback_gate(
    con: duckdb.DuckDBPyConnection, period: str, validator: Validator, results: list[str]
) -> GateReport:
    """The accepted verification answers of the period: one per lead, from `results`, dated."""
    answers = con.sql(
        "SELECT lead_id, result, verified_on, file AS source_file, row_number AS source_row "
        "FROM ingested.feedback WHERE period = ?",
        params=[period],
    ).pl()
    findings = validator.check(suites.feedback_suite(results), answers)
    return GateReport("feedback", period, answers.height > 0, findings, [])
