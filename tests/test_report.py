"""The quality report's head (issue 21): FAILED with what failed, never PASSED for a run that
did not complete; warnings counted; run id, time, configuration version; the feedback."""

import duckdb
import polars as pl

from doudi_core.warehouse import append_rows
from expectations.report import RESULT_SCHEMA, RunOutcome, render


def _warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    result = dict.fromkeys(RESULT_SCHEMA)
    rows = [
        {
            **result,
            "period": "2026-10",
            "source": "medical",
            "severity": "blocking",
            "what": "each file's volume",
            "success": False,
        },
        {
            **result,
            "period": "2026-10",
            "source": "hukou",
            "severity": "warning",
            "what": "share of rows quarantined",
            "success": False,
        },
        {
            **result,
            "period": "2026-10",
            "source": "hukou",
            "severity": "blocking",
            "what": "no duplicate person_key",
            "success": True,
        },
    ]
    append_rows(con, "ingested.quality_results", pl.DataFrame(rows, schema=RESULT_SCHEMA))
    accounting = pl.DataFrame(
        {
            "period": ["2026-10"] * 2,
            "source": ["hukou", "feedback"],
            "file": ["a.csv", "returned_宿城区.xlsx"],
            "rows_read": [10, 7],
            "rows_loaded": [9, 5],
            "rows_quarantined": [1, 2],
            "rows_skipped": [0, 0],
            "blank_rows_skipped": [0, 0],
            "totals_rows_skipped": [0, 0],
            "extra_columns": ["", ""],
        }
    )
    append_rows(con, "ingested.file_accounting", accounting)
    return con


def _outcome(completed: bool, problems: list[str]) -> RunOutcome:
    return RunOutcome(
        "5707e4a0-run", "2026-11-05 06:00 UTC", "2026.11-test", completed, problems, 1
    )


def test_a_failed_run_says_failed_at_the_top_with_what_failed(tmp_path):
    con = _warehouse()
    problem = "BLOCKED medical: each file's volume: observed 50 rows"
    page = render(con, tmp_path, "2026-10", _outcome(False, [problem])).read_text(encoding="utf-8")
    head = page.split("<h2>Row accounting")[0]
    assert "Run: <b>FAILED</b>" in head and "PASSED" not in page and "COMPLETED" not in page
    assert "BLOCKED medical: each file&#x27;s volume: observed 50 rows" in head
    assert "Blocking gates failed: <b>1</b>; warnings tolerated: <b>1</b>" in head
    assert "5707e4a0-run" in head and "2026.11-test" in head and "2026-11-05 06:00 UTC" in head
    assert page.count("<tr class='failed'>") == 2  # the two failed checks, coloured
    feedback = page.split("Returned workbooks (feedback)")[1].split("<h2>")[0]
    assert "returned_宿城区.xlsx</td><td>5</td><td>2</td>" in feedback  # accepted, rejected


def test_a_report_written_mid_run_says_in_progress_and_a_first_failed_run_still_gets_one(
    tmp_path,
):
    page = render(_warehouse(), tmp_path, "2026-10").read_text(encoding="utf-8")
    assert "Run: <b>IN PROGRESS</b>" in page and "PASSED" not in page
    empty = duckdb.connect()  # a first run that failed before anything was loaded
    page = render(empty, tmp_path / "first", "2026-10", _outcome(False, ["FAILED hukou: x"]))
    text = page.read_text(encoding="utf-8")
    assert "Run: <b>FAILED</b>" in text and "FAILED hukou: x" in text
