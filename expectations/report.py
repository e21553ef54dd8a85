"""Check results into the warehouse (`ingested.quality_results`) and the run's readable
report, OUT/quality/<period>/index.html: counts and file:row only, never values."""

from __future__ import annotations

import html
import os
from pathlib import Path

import duckdb
import polars as pl

from expectations.gates import GateReport
from ingest.load import replace_rows

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


def _table(frame: pl.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in frame.columns)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in row)
        + "</tr>"
        for row in frame.rows()
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render(con: duckdb.DuckDBPyConnection, out: Path, period: str) -> Path:
    results = con.sql(
        "SELECT source, severity, CASE WHEN success THEN 'ok' ELSE 'FAILED' END AS result, what, expectation, "
        'unexpected_count AS unexpected, element_count AS rows, observed, examples AS "where" '
        "FROM ingested.quality_results WHERE period = ? ORDER BY source, severity, suite, expectation, what",
        params=[period],
    ).pl()
    accounting = con.sql(
        "SELECT source, file, rows_read, rows_loaded, rows_quarantined, blank_rows_skipped, totals_rows_skipped, "
        "extra_columns FROM ingested.file_accounting WHERE period = ? ORDER BY source, file",
        params=[period],
    ).pl()
    reasons = con.sql(
        "SELECT source, reason, count(*) AS rows FROM ingested.quarantine WHERE period = ? "
        "GROUP BY ALL ORDER BY source, reason",
        params=[period],
    ).pl()
    blocked = results.filter(
        (pl.col("severity") == "blocking") & (pl.col("result") == "FAILED")
    ).height
    verdict = "BLOCKED" if blocked else "PASSED"
    sections = [
        f"<h1>doudi quality report — {html.escape(period)}</h1>",
        f"<p class='{verdict.lower()}'>Blocking gates: <b>{verdict}</b> ({blocked} failed)</p>",
        "<h2>Row accounting (rows read = loaded + quarantined)</h2>",
        _table(accounting),
        "<h2>Quarantined rows by reason</h2>",
        _table(reasons),
        "<h2>Quality checks (Great Expectations)</h2>",
        _table(results),
    ]
    style = (
        "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1em}"
        "td,th{border:1px solid #ccc;padding:3px 8px;font-size:13px}.blocked{color:#b00}.passed{color:#070}"
    )
    page = (
        f"<!doctype html><html lang='zh'><head><meta charset='utf-8'><title>doudi {period}</title>"
        f"<style>{style}</style></head><body>{''.join(sections)}</body></html>"
    )
    path = out / "quality" / period / "index.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(".index.html.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    return path
