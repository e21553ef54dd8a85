"""Write one county's workbook with XlsxWriter: a 汇总 sheet and one sheet per town.

Drop-down for 核查结果, date validation, frozen header, filters, widths, 高
highlighted, A4 landscape with the header repeated, sheets protected except the
four verification columns, written atomically. Text is always written as a string cell,
which a spreadsheet never evaluates: a name that begins with =, +, - or @ is shown exactly
as delivered, with no apostrophe added (outputs.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import NamedTuple

import polars as pl
import xlsxwriter

from doudi_core.files import written_atomically
from workbooks.layout import (
    FONT_SIZE,
    GUIDE_SHEET,
    LEAD_HEADERS,
    LINE_POINTS,
    RESULT_MEANINGS,
    RESULTS,
    SIDE_MARGIN_IN,
    SUMMARY_SHEET,
    VERIFICATION_HEADERS,
    print_scale,
    row_lines,
    sheet_name,
    text_lines,
)


def workbook_path(out: Path, period: str, county_code: str, county_name: str) -> Path:
    return out / "exports" / period / f"{county_code}_{county_name}.xlsx"


class WorkbookJob(NamedTuple):
    """One county's workbook: where it goes, its leads (that county's only) and what it shows."""

    path: Path
    leads: pl.DataFrame
    period: str
    county_code: str
    county_name: str
    town_names: dict[str, str]
    as_of: dt.date
    rule_names: tuple[str, ...]  # every rule's name, in the rule catalogue's order
    due_soon_until: dt.date  # a due date up to this one is marked as due soon
    verify_until: dt.date  # the latest 核查日期 the sheet accepts (as_of + the return window)
    rule_checks: tuple[str, ...]  # what to check on the visit, one per rule of rule_names
    return_to: str  # who the workbook goes back to


PRIORITY_ORDER = {"高": 0, "中": 1, "低": 2}
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False}


def write_county_workbook(job: WorkbookJob) -> str:
    """Write the workbook atomically; returns its SHA-256."""
    if job.leads["county_code"].drop_nulls().unique().to_list() not in ([job.county_code], []):
        raise ValueError(f"workbook for {job.county_code} given leads of other counties")
    with written_atomically(job.path) as tmp:
        _write(xlsxwriter.Workbook(str(tmp), WORKBOOK_OPTIONS), job)
        return hashlib.sha256(tmp.read_bytes()).hexdigest()


def _write(book: xlsxwriter.Workbook, job: WorkbookJob) -> None:
    _, leads, period, county_code, county_name, town_names, as_of, *_ = job
    book.set_properties(
        {
            "title": f"{county_name}预警线索核查表（{period}）",
            "subject": f"county={county_code};period={period}",
            "author": "宿迁市民政局 doudi",
            "keywords": f"{county_code},{period}",
            "created": dt.datetime.combine(as_of, dt.time()),  # from the period, never the clock
        }
    )
    book.set_custom_property("county_code", county_code)
    book.set_custom_property("period", period)
    styles = _styles(book)
    _summary(book, styles, job)
    _guide(book, styles, job)
    for town_code, town_leads in sorted(
        leads.group_by("town_code", maintain_order=True), key=lambda item: item[0][0] or ""
    ):
        _town_sheet(
            book,
            styles,
            _in_visiting_order(town_leads, job.rule_names, as_of),
            sheet_name(town_code[0], town_names.get(town_code[0] or "")),
            job,
        )
    book.close()


def _styles(book: xlsxwriter.Workbook) -> dict:
    base = {
        "font_name": "宋体",
        "font_size": FONT_SIZE,
        "valign": "top",
        "text_wrap": True,
        "border": 1,
    }
    return {
        "header": book.add_format({**base, "bold": True, "bg_color": "#D9E1F2", "align": "center"}),
        "verify_header": book.add_format(
            {**base, "bold": True, "bg_color": "#FFF2CC", "align": "center"}
        ),
        "cell": book.add_format(base),
        "high": book.add_format({**base, "bg_color": "#F8CBAD"}),
        "date": book.add_format({**base, "num_format": "yyyy-mm-dd"}),
        "high_date": book.add_format({**base, "num_format": "yyyy-mm-dd", "bg_color": "#F8CBAD"}),
        **{  # due dates: overdue in red, due within a few working days in orange
            f"{high}{mark}_date": book.add_format(
                {**base, "num_format": "yyyy-mm-dd", "bold": True, "font_color": colour}
                | ({"bg_color": "#F8CBAD"} if high else {})
            )
            for high in ("", "high_")
            for mark, colour in (("overdue", "#C00000"), ("due_soon", "#C65911"))
        },
        "input": book.add_format({**base, "locked": False}),
        "input_date": book.add_format({**base, "locked": False, "num_format": "yyyy-mm-dd"}),
        "title": book.add_format({"bold": True, "font_size": 14, "font_name": "宋体"}),
        "plain": book.add_format({"font_name": "宋体", "font_size": FONT_SIZE}),
    }


def _in_visiting_order(
    leads: pl.DataFrame, rule_names: tuple[str, ...], as_of: dt.date
) -> pl.DataFrame:
    """Priority 高 first, then overdue first, then by village, then by rule (the catalogue's
    order): the order a caseworker works through the sheet in."""
    return leads.sort(
        pl.col("priority").replace_strict(PRIORITY_ORDER, default=9, return_dtype=pl.Int8),
        pl.col("due_date") >= as_of,
        pl.col("village"),
        pl.col("rule_name").replace_strict(
            {name: i for i, name in enumerate(rule_names)}, default=len(rule_names)
        ),
        "lead_id",
        nulls_last=True,
    )


def _due_mark(due: dt.date, job: WorkbookJob) -> str:
    if due < job.as_of:
        return "overdue"
    return "due_soon" if due <= job.due_soon_until else ""


def _town_sheet(book, styles, leads: pl.DataFrame, name: str, job: WorkbookJob) -> None:
    sheet = book.add_worksheet(name)
    # identity numbers are text on purpose: no "number stored as text" markers
    sheet.ignore_errors({"number_stored_as_text": "A1:XFD1048576"})
    headers = [h for h, _, _ in LEAD_HEADERS] + [h for h, _ in VERIFICATION_HEADERS]
    for col, (title, _, width) in enumerate(LEAD_HEADERS):
        sheet.write_string(0, col, title, styles["header"])
        sheet.set_column(col, col, width)
    first_input = len(LEAD_HEADERS)
    for offset, (title, width) in enumerate(VERIFICATION_HEADERS):
        sheet.write_string(0, first_input + offset, title, styles["verify_header"])
        sheet.set_column(first_input + offset, first_input + offset, width)
    lines = row_lines(leads).to_list()
    for row, lead in enumerate(leads.iter_rows(named=True), start=1):
        high = lead["priority"] == "高"
        for col, (_, field, _) in enumerate(LEAD_HEADERS):
            value = lead[field]
            if isinstance(value, dt.date):
                mark = _due_mark(value, job) if field == "due_date" else ""
                style = f"{'high_' if high else ''}{mark + '_' if mark else ''}date"
                sheet.write_datetime(row, col, dt.datetime.combine(value, dt.time()), styles[style])
            elif isinstance(value, int):
                sheet.write_number(row, col, value, styles["high" if high else "cell"])
            elif value is None:
                sheet.write_blank(row, col, None, styles["high" if high else "cell"])
            else:
                sheet.write_string(row, col, str(value), styles["high" if high else "cell"])
        # XlsxWriter cannot autofit: wrapped text needs its height set
        sheet.set_row(row, LINE_POINTS * lines[row - 1] + 3)
        for offset in range(len(VERIFICATION_HEADERS)):
            style = styles["input_date"] if offset == 1 else styles["input"]
            sheet.write_blank(row, first_input + offset, None, style)
    last = max(leads.height, 1)
    sheet.data_validation(
        1,
        first_input,
        last,
        first_input,
        {
            "validate": "list",
            "source": RESULTS,
            "error_title": "核查结果",
            "error_message": "请从下拉列表中选择核查结果",
            "input_title": "核查结果",
            "input_message": "请从下拉列表选择",
        },
    )
    sheet.data_validation(
        1,
        first_input + 1,
        last,
        first_input + 1,
        {
            "validate": "date",
            "criteria": "between",
            "minimum": dt.datetime(job.as_of.year, job.as_of.month, 1),
            "maximum": dt.datetime.combine(job.verify_until, dt.time()),
            "error_title": "核查日期",
            "error_message": f"请填写 {job.as_of.year}-{job.as_of.month:02d}-01 至 "
            f"{job.verify_until.isoformat()} 之间的日期，如 {job.verify_until.isoformat()}",
        },
    )
    widths = [w for _, _, w in LEAD_HEADERS] + [w for _, w in VERIFICATION_HEADERS]
    tallest = max(text_lines(title, width) for title, width in zip(headers, widths, strict=True))
    sheet.set_row(0, LINE_POINTS * tallest + LINE_POINTS // 2)  # bold runs a little taller
    sheet.freeze_panes(1, 2)
    sheet.autofilter(0, 0, last, len(headers) - 1)
    _print_setup(sheet, widths, job, name)
    sheet.repeat_rows(0)
    sheet.protect(
        "",
        {
            "autofilter": True,
            "sort": True,
            "format_columns": True,
            "select_locked_cells": True,
            "select_unlocked_cells": True,
        },
    )


GUIDE_WIDTHS = [30, 90]
SUMMARY_RULE_WIDTH = 6.5  # a rule's count column: its name wraps over several lines
SUMMARY_TOWN_WIDTH = 26  # 沭城街道 / （321322001）: two lines


def _summary_widths(rules: int) -> list[float]:
    return [SUMMARY_TOWN_WIDTH, *[SUMMARY_RULE_WIDTH] * rules, *[5.5] * 5]


def _print_setup(sheet, widths: list[float], job: WorkbookJob, name: str) -> None:
    """A4 landscape at the scale the columns need (layout.print_scale), never fitted by the
    renderer; every page names the county, the sheet (town), the period and its number."""
    sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.set_print_scale(print_scale(widths))
    sheet.set_margins(left=SIDE_MARGIN_IN, right=SIDE_MARGIN_IN, top=0.6, bottom=0.5)
    where = f"{job.county_name}（{job.county_code}） {name}".replace("&", "&&")
    sheet.set_header(f'&L&"宋体,Bold"{where}&R&"宋体,Bold"{job.period} 预警线索核查表')
    sheet.set_footer(f"&L{job.county_name} {job.period}&C第 &P 页，共 &N 页")


def _guide(book, styles, job: WorkbookJob) -> None:
    """The 说明 sheet: what each 核查结果 does, how to fill 核查日期, where the workbook goes
    back and by when, and what to check on the visit for each rule."""
    sheet = book.add_worksheet(GUIDE_SHEET)
    for col, width in enumerate(GUIDE_WIDTHS):
        sheet.set_column(col, col, width)
    start = f"{job.as_of.year}-{job.as_of.month:02d}-01"
    lines: list[tuple[str, str, str]] = [
        ("title", f"{job.county_name}预警线索核查表填表说明（{job.period}）", ""),
        ("header", "核查结果", "含义及对线索的影响"),
        *(("cell", result, RESULT_MEANINGS[result]) for result in RESULTS),
        ("header", "填写要求", ""),
        ("cell", "核查结果", "从下拉列表中选择，不要自行输入其他文字。"),
        (
            "cell",
            "核查日期",
            f"填写入户核查的日期，格式如 {job.verify_until.isoformat()}，"
            f"不早于 {start}，不晚于 {job.verify_until.isoformat()}。",
        ),
        ("cell", "核查人、备注", "填写核查人姓名；需要说明的情况写在备注中。"),
        (
            "cell",
            "交回",
            f"请于 {job.verify_until.isoformat()} 前将填好的工作簿交回{job.return_to}，"
            "不要修改线索编号和其他列。",
        ),
        ("header", "预警类型", "入户核查要点"),
        *(
            ("cell", name, check)
            for name, check in zip(job.rule_names, job.rule_checks, strict=True)
        ),
    ]
    for row, (style, first, second) in enumerate(lines):
        sheet.write_string(row, 0, first, styles[style])
        if second or style != "title":
            sheet.write_string(row, 1, second, styles["header" if style == "header" else "cell"])
            tallest = max(text_lines(first, GUIDE_WIDTHS[0]), text_lines(second, GUIDE_WIDTHS[1]))
            sheet.set_row(row, LINE_POINTS * tallest + 3)
    _print_setup(sheet, GUIDE_WIDTHS, job, GUIDE_SHEET)


def _summary(book, styles, job: WorkbookJob) -> None:
    """Counts by town × rule (a column for every rule, in the catalogue's order, so every
    county's summary has the same columns), new, continuing, overdue and 高, and a total."""
    _, leads, period, county_code, county_name, town_names, as_of, rules, *_ = job
    sheet = book.add_worksheet(SUMMARY_SHEET)
    sheet.write_string(0, 0, f"{county_name}预警线索核查汇总（{period}）", styles["title"])
    sheet.write_string(1, 0, "区县代码", styles["plain"])
    sheet.write_string(1, 1, county_code, styles["plain"])
    sheet.write_string(2, 0, "期间", styles["plain"])
    sheet.write_string(2, 1, period, styles["plain"])
    sheet.write_string(3, 0, "统计截止日期", styles["plain"])
    sheet.write_string(3, 1, as_of.isoformat(), styles["plain"])
    headers = ["乡镇（街道）", *rules, "合计", "新增", "持续", "已逾期", "高优先级"]
    widths = _summary_widths(len(rules))
    for col, (title, width) in enumerate(zip(headers, widths, strict=True)):
        sheet.write_string(5, col, title, styles["header"])
        sheet.set_column(col, col, width)
    # the rule names wrap in their narrow columns: the header row is as tall as the tallest
    tallest = max(text_lines(t, w) for t, w in zip(headers, widths, strict=True))
    sheet.set_row(5, LINE_POINTS * tallest + LINE_POINTS // 2)  # bold runs a little taller
    towns = (
        leads.group_by("town_code")
        .agg(
            pl.len().alias("total"),
            (pl.col("status") == "新增").sum().alias("new"),
            (pl.col("status") == "持续").sum().alias("continuing"),
            (pl.col("due_date") < as_of).sum().alias("overdue"),
            (pl.col("priority") == "高").sum().alias("high"),
            *[(pl.col("rule_name") == r).sum().alias(r) for r in rules],
        )
        .sort("town_code")
    )
    row = 6
    for town in towns.iter_rows(named=True):
        code = town["town_code"]
        label = sheet_name(code, town_names.get(code or ""))
        sheet.write_string(row, 0, label, styles["cell"])
        sheet.set_row(row, LINE_POINTS * text_lines(label, SUMMARY_TOWN_WIDTH) + 3)
        values = [town[r] for r in rules] + [
            town["total"],
            town["new"],
            town["continuing"],
            town["overdue"],
            town["high"],
        ]
        for col, value in enumerate(values, start=1):
            sheet.write_number(row, col, value, styles["cell"])
        row += 1
    sheet.write_string(row, 0, "合计", styles["header"])
    totals = [towns[r].sum() for r in rules] + [
        towns[c].sum() for c in ("total", "new", "continuing", "overdue", "high")
    ]
    for col, value in enumerate(totals, start=1):
        sheet.write_number(row, col, int(value), styles["header"])
    _print_setup(sheet, widths, job, SUMMARY_SHEET)
    sheet.repeat_rows(5)
    sheet.freeze_panes(6, 1)
    sheet.activate()
