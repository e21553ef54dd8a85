"""Read returned county workbooks (INBOX/<period>/feedback/*.xlsx): 线索编号 and the four
verification columns only, validated row by row; everything else is ignored.

A row is accepted, rejected with a reason (quarantine), or unanswered (no 核查结果).
A file that is not one of ours (no 线索编号 column) is rejected whole.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import openpyxl
import polars as pl

from doudi_core.warehouse import query_or_empty
from ingest.arrivals import is_hidden
from ingest.delivery import Delivery, no_identities
from ingest.values import parse_date
from workbooks.layout import KEEPS_OPEN, RESULTS, SUMMARY_SHEET

UNKNOWN_LEAD = "UNKNOWN_LEAD"
WRONG_COUNTY = "WRONG_COUNTY"
RESULT_NOT_IN_LIST = "RESULT_NOT_IN_LIST"
DATE_MISSING = "DATE_MISSING"
DATE_UNPARSABLE = "DATE_UNPARSABLE"
DATE_AFTER_PERIOD = "DATE_AFTER_PERIOD"
DUPLICATE_ANSWER = "DUPLICATE_ANSWER"
NOT_OUR_WORKBOOK = "NOT_A_DOUDI_WORKBOOK"

ROW_SCHEMA = {
    "file": pl.String,
    "sheet": pl.String,
    "row_number": pl.Int64,
    "county_code": pl.String,
    "lead_id": pl.String,
    "result": pl.String,
    "verified_raw": pl.String,
    "verifier": pl.String,
    "note": pl.String,
}


@dataclass
class Returned:
    rows: pl.DataFrame  # ROW_SCHEMA: every answered row
    unanswered: dict[str, int] = field(default_factory=dict)  # file -> rows without a result
    rejected_files: dict[str, str] = field(default_factory=dict)  # file -> why


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def read_workbook(path: Path) -> tuple[list[dict], int, str | None]:
    """(answered rows, unanswered count, rejection reason or None)."""
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a file that is not a workbook
        return [], 0, f"not a readable xlsx workbook ({type(error).__name__})"
    try:
        county = None
        if SUMMARY_SHEET in book.sheetnames:
            for row in book[SUMMARY_SHEET].iter_rows(
                min_row=1, max_row=6, max_col=2, values_only=True
            ):
                if row and _text(row[0]) == "区县代码":
                    county = _text(row[1])
        rows, unanswered, ours = [], 0, False
        for sheet in book.worksheets:
            if sheet.title == SUMMARY_SHEET:
                continue
            header = None
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                cells = [_text(v) for v in values]
                if header is None:
                    if "线索编号" in cells and "核查结果" in cells:
                        header = {
                            name: cells.index(name)
                            for name in ("线索编号", "核查结果", "核查日期", "核查人", "备注")
                            if name in cells
                        }
                        ours = True
                    continue
                lead = cells[header["线索编号"]] if header["线索编号"] < len(cells) else None
                if lead is None:
                    continue
                get = {k: (cells[i] if i < len(cells) else None) for k, i in header.items()}
                if get.get("核查结果") is None:
                    unanswered += 1
                    continue
                rows.append(
                    {
                        "file": path.name,
                        "sheet": sheet.title,
                        "row_number": number,
                        "county_code": county,
                        "lead_id": lead,
                        "result": get.get("核查结果"),
                        "verified_raw": get.get("核查日期"),
                        "verifier": get.get("核查人"),
                        "note": get.get("备注"),
                    }
                )
        if not ours:
            return (
                [],
                0,
                "no sheet with the columns 线索编号 and 核查结果: not a doudi county workbook",
            )
        if county is None:
            return [], 0, "no 区县代码 on the 汇总 sheet: not a doudi county workbook"
        return rows, unanswered, None
    finally:
        book.close()


def read_folder(folder: Path) -> Returned:
    rows, unanswered, rejected = [], {}, {}
    paths = (
        sorted(p for p in folder.iterdir() if p.is_file() and not is_hidden(p))
        if folder.is_dir()
        else []
    )
    for path in paths:
        answered, blank, reason = read_workbook(path)
        if reason:
            rejected[path.name] = reason
            continue
        rows += answered
        unanswered[path.name] = blank
    return Returned(pl.DataFrame(rows, schema=ROW_SCHEMA), unanswered, rejected)


def validate(rows: pl.DataFrame, issued: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """Each answered row with `reason` (null when accepted) and, when accepted, whether it closes.

    issued: lead_id, county_code of every lead the pipeline has issued.
    """
    verified = parse_date(pl.col("verified_raw"), allow_serial=True)
    checked = (
        rows.join(issued.rename({"county_code": "issued_county"}), on="lead_id", how="left")
        .with_columns(verified_on=verified)
        .with_columns(
            reason=pl.when(pl.col("issued_county").is_null())
            .then(pl.lit(UNKNOWN_LEAD))
            .when(pl.col("issued_county") != pl.col("county_code"))
            .then(pl.lit(WRONG_COUNTY))
            .when(~pl.col("result").is_in(RESULTS))
            .then(pl.lit(RESULT_NOT_IN_LIST))
            .when(pl.col("verified_raw").is_null())
            .then(pl.lit(DATE_MISSING))
            .when(pl.col("verified_on").is_null())
            .then(pl.lit(DATE_UNPARSABLE))
            .when(pl.col("verified_on") > pl.lit(as_of))
            .then(pl.lit(DATE_AFTER_PERIOD))
        )
        .sort("file", "sheet", "row_number")
    )
    first = pl.col("lead_id").is_first_distinct().over(pl.col("reason").is_null())
    return checked.with_columns(
        reason=pl.when(pl.col("reason").is_null() & ~first)
        .then(pl.lit(DUPLICATE_ANSWER))
        .otherwise("reason"),
    ).with_columns(closes=pl.col("reason").is_null() & (pl.col("result") != KEEPS_OPEN))


def issued_leads(con: duckdb.DuckDBPyConnection, period: str) -> pl.DataFrame:
    """Every lead issued before `period`, with the county it was issued to."""
    return query_or_empty(
        con,
        "leads.lead_states",
        "SELECT lead_id, any_value(county_code ORDER BY period) AS county_code FROM leads.lead_states "
        "WHERE period < ? GROUP BY lead_id",
        [period],
        {"lead_id": pl.String, "county_code": pl.String},
    )


def delivery(folder: Path, period: str, issued: pl.DataFrame, as_of: dt.date) -> Delivery:
    """The feedback as a delivery: accepted answers, notes (vault), quarantine, accounting."""
    returned = read_folder(folder)
    checked = validate(returned.rows, issued, as_of)
    accepted = checked.filter(pl.col("reason").is_null())
    rejected = checked.filter(pl.col("reason").is_not_null())
    feedback = accepted.select(
        pl.lit(period).alias("period"),
        "file",
        "sheet",
        "row_number",
        "lead_id",
        "county_code",
        "result",
        "verified_on",
        "closes",
    )
    notes = accepted.select(
        pl.lit(period).alias("period"),
        pl.lit("feedback").alias("source"),
        "file",
        "row_number",
        "lead_id",
        "verifier",
        "note",
    )
    raw = pl.struct(
        pl.col("lead_id").alias("线索编号"),
        pl.col("result").alias("核查结果"),
        pl.col("verified_raw").alias("核查日期"),
        pl.col("verifier").alias("核查人"),
        pl.col("note").alias("备注"),
    ).struct.json_encode()
    quarantine = pl.concat(
        [
            rejected.select(
                pl.lit(period).alias("period"),
                pl.lit("feedback").alias("source"),
                "file",
                "row_number",
                "reason",
                raw.alias("raw_values"),
            ),
            pl.DataFrame(
                {
                    "period": period,
                    "source": "feedback",
                    "file": list(returned.rejected_files),
                    "row_number": 0,
                    "reason": NOT_OUR_WORKBOOK,
                    "raw_values": list(returned.rejected_files.values()),
                },
                schema={
                    "period": pl.String,
                    "source": pl.String,
                    "file": pl.String,
                    "row_number": pl.Int64,
                    "reason": pl.String,
                    "raw_values": pl.String,
                },
            ),
        ]
    )
    files = sorted(set(returned.unanswered) | set(returned.rejected_files))
    per_file = checked.group_by("file").agg(
        rows_loaded=pl.col("reason").is_null().sum().cast(pl.Int64),
        rows_quarantined=pl.col("reason").is_not_null().sum().cast(pl.Int64),
    )
    accounting = (
        pl.DataFrame({"file": files}, schema={"file": pl.String})
        .join(per_file, on="file", how="left")
        .with_columns(pl.col("rows_loaded", "rows_quarantined").fill_null(0))
        .with_columns(
            rows_quarantined=pl.col("rows_quarantined")
            + pl.col("file").is_in(list(returned.rejected_files)).cast(pl.Int64),
        )
        .select(
            pl.lit(period).alias("period"),
            pl.lit("feedback").alias("source"),
            "file",
            pl.lit("xlsx").alias("file_format"),
            pl.lit(None, dtype=pl.String).alias("encoding"),
            pl.lit(1, dtype=pl.Int64).alias("header_row"),
            pl.col("file")
            .replace_strict(returned.unanswered, default=0, return_dtype=pl.Int64)
            .alias("blank_rows_skipped"),
            pl.lit(0, dtype=pl.Int64).alias("totals_rows_skipped"),
            pl.lit("").alias("extra_columns"),
            (pl.col("rows_loaded") + pl.col("rows_quarantined")).alias("rows_read"),
            "rows_loaded",
            "rows_quarantined",
            pl.lit(0, dtype=pl.Int64).alias("rows_skipped"),
        )
    )
    warnings = [f"{name}: rejected whole: {why}" for name, why in returned.rejected_files.items()]
    return Delivery(
        "feedback",
        period,
        [],
        {"feedback": [feedback.lazy()]},
        {"quarantine": quarantine, "feedback_notes": notes},
        accounting,
        no_identities(),
        warnings,
    )
