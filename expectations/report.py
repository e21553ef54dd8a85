"""Check results into the warehouse (`ingested.quality_results`) and the run's readable
report, OUT/quality/<period>/index.html: counts and file:row only, never values."""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from doudi_core.files import written_atomically
from doudi_core.warehouse import query_or_empty, replace_rows, table_exists
from expectations.gates import GateReport

RESULT_SCHEMA = {
    "period": pl.String,
    "source": pl.String,
    "severity": pl.String,
    "suite": pl.String,
    "expectation": pl.String,
    "what": pl.String,
    "success": pl.Boolean,
    "unexpected_count": pl.Int64,
    "element_count": pl.Int64,
    "observed": pl.String,
    "examples": pl.String,
}


def record(con: duckdb.DuckDBPyConnection, report: GateReport, severity: str) -> None:
    findings = report.blocking if severity == "blocking" else report.warnings
    rows = [
        {
            "period": report.period,
            "source": report.source,
            "severity": severity,
            "suite": f.suite,
            "expectation": f.expectation,
            "what": f.what,
            "success": f.success,
            "unexpected_count": f.unexpected_count,
            "element_count": f.element_count,
            "observed": None if f.observed is None else str(f.observed),
            "examples": "; ".join(f.examples),
        }
        for f in findings
    ]
    frame = pl.DataFrame(rows, schema=RESULT_SCHEMA)
    replace_rows(
        con,
        "ingested.quality_results",
        frame,
        {"period": report.period, "source": report.source, "severity": severity},
    )


def failed_checks(con: duckdb.DuckDBPyConnection, period: str) -> pl.DataFrame:
    """The period's failed checks, blocking first, for the run's summary."""
    return query_or_empty(
        con,
        "ingested.quality_results",
        "SELECT source, severity, what, expectation, unexpected_count, element_count, observed, "
        "examples FROM ingested.quality_results WHERE period = ? AND NOT success "
        "ORDER BY severity, source, what",
        [period],
        {column: RESULT_SCHEMA[column] for column in FAILED_COLUMNS},
    )


FAILED_COLUMNS = [
    "source",
    "severity",
    "what",
    "expectation",
    "unexpected_count",
    "element_count",
    "observed",
    "examples",
]


def accounting_by_source(
    con: duckdb.DuckDBPyConnection, period: str, sources: list[str]
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per source of `sources`: files and rows read, loaded, quarantined, skipped; and the
    quarantined rows by source and reason."""
    per_file = query_or_empty(
        con,
        "ingested.file_accounting",
        "SELECT source, file, rows_read, rows_loaded, rows_quarantined, rows_skipped "
        "FROM ingested.file_accounting WHERE period = ? AND list_contains(?, source) "
        "ORDER BY source, file",
        [period, sources],
        {
            "source": pl.String,
            "file": pl.String,
            **dict.fromkeys(
                ("rows_read", "rows_loaded", "rows_quarantined", "rows_skipped"), pl.Int64
            ),
        },
    )
    by_source = per_file.group_by("source", maintain_order=True).agg(
        pl.len().alias("files"),
        pl.col("rows_read", "rows_loaded", "rows_quarantined", "rows_skipped").sum(),
    )
    reasons = query_or_empty(
        con,
        "ingested.quarantine",
        "SELECT source, reason, count(*) AS n FROM ingested.quarantine "
        "WHERE period = ? AND list_contains(?, source) GROUP BY ALL ORDER BY source, reason",
        [period, sources],
        {"source": pl.String, "reason": pl.String, "n": pl.Int64},
    )
    return by_source, reasons


@dataclass(frozen=True)
class RunOutcome:
    """How the run ended, for the report's head (a report without one is of a run under way)."""

    run_id: str
    started: str
    config_version: str
    completed: bool
    problems: list[str]
    warnings: int


def _table(frame: pl.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in frame.columns)
    result = frame.columns.index("result") if "result" in frame.columns else None
    body = "".join(
        ("<tr class='failed'>" if result is not None and row[result] == "FAILED" else "<tr>")
        + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in row)
        + "</tr>"
        for row in frame.rows()
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _query(
    con: duckdb.DuckDBPyConnection, table: str, sql: str, period: str
) -> pl.DataFrame | None:
    """The period's rows of a table, or None before the table exists (a first run that failed)."""
    schema, name = table.split(".")
    return con.sql(sql, params=[period]).pl() if table_exists(con, schema, name) else None


def _head(outcome: RunOutcome | None, blocked: int, warnings: int) -> list[str]:
    if outcome is None:
        verdict = "IN PROGRESS"
        says = "the run has not finished (or was stopped): this report is final once it says COMPLETED or FAILED"
    elif outcome.completed:
        verdict, says = "COMPLETED", "leads and workbooks were published"
    else:
        verdict, says = "FAILED", "nothing was published for this period by this run"
    lines = [
        f"<p class='verdict {verdict.lower().replace(' ', '-')}'>Run: <b>{verdict}</b> — {says}</p>",
        f"<p>Blocking gates failed: <b>{blocked}</b>; warnings tolerated: <b>{warnings}</b></p>",
    ]
    if outcome is not None:
        if outcome.problems:
            items = "".join(f"<li>{html.escape(p)}</li>" for p in outcome.problems)
            lines.append(f"<h2>What failed</h2><ul class='problems'>{items}</ul>")
        lines.append(
            f"<p>Dagster run {html.escape(outcome.run_id)}, started {html.escape(outcome.started)}; "
            f"configuration version {html.escape(outcome.config_version)}</p>"
        )
    return lines


def render(
    con: duckdb.DuckDBPyConnection, out: Path, period: str, outcome: RunOutcome | None = None
) -> Path:
    """The period's report; without `outcome` (a gate refreshing it mid-run) it says IN PROGRESS."""
    results = _query(
        con,
        "ingested.quality_results",
        "SELECT source, severity, CASE WHEN success THEN 'ok' ELSE 'FAILED' END AS result, what, expectation, "
        'unexpected_count AS unexpected, element_count AS rows, observed, examples AS "where" '
        "FROM ingested.quality_results WHERE period = ? "
        "ORDER BY success, source, severity, suite, expectation, what",
        period,
    )
    accounting = _query(
        con,
        "ingested.file_accounting",
        "SELECT source, file, rows_read, rows_loaded, rows_quarantined, rows_skipped, "
        "blank_rows_skipped, totals_rows_skipped, extra_columns "
        "FROM ingested.file_accounting WHERE period = ? ORDER BY source, file",
        period,
    )
    reasons = _query(
        con,
        "ingested.quarantine",
        "SELECT source, reason, count(*) AS rows FROM ingested.quarantine WHERE period = ? "
        "GROUP BY ALL ORDER BY source, reason",
        period,
    )
    feedback = _query(
        con,
        "ingested.file_accounting",
        "SELECT file AS returned_workbook, rows_loaded AS answers_accepted, "
        "rows_quarantined AS rows_rejected FROM ingested.file_accounting "
        "WHERE period = ? AND source = 'feedback' ORDER BY file",
        period,
    )
    failed = results.filter(pl.col("result") == "FAILED") if results is not None else None
    blocked = 0 if failed is None else failed.filter(pl.col("severity") == "blocking").height
    warnings = 0 if failed is None else failed.filter(pl.col("severity") == "warning").height
    missing = "<p>(nothing recorded: the run stopped before this was written)</p>"
    sections = [
        f"<h1>doudi quality report — {html.escape(period)}</h1>",
        *_head(outcome, blocked, warnings),
        "<h2>Row accounting (rows read = loaded + quarantined + skipped)</h2>",
        missing if accounting is None else _table(accounting),
        "<h2>Quarantined rows by reason</h2>",
        missing if reasons is None else _table(reasons),
        "<h2>Returned workbooks (feedback)</h2>",
        "<p>none returned</p>" if feedback is None or feedback.is_empty() else _table(feedback),
        "<h2>Quality checks (Great Expectations), failed first</h2>",
        missing if results is None else _table(results),
    ]
    style = (
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1em}"
        "td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px}"
        "tr.failed td{background:#fde2e2;color:#900}.verdict{font-size:1.4em}"
        ".failed b,.problems{color:#b00}.completed b{color:#070}.in-progress b{color:#a60}"
    )
    page = (
        f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>doudi {period}</title>"
        f"<style>{style}</style></head><body>{''.join(sections)}</body></html>"
    )
    path = out / "quality" / period / "index.html"
    with written_atomically(path) as tmp:
        tmp.write_text(page, encoding="utf-8")
    return path
