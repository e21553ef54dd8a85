"""What a county workbook holds (outputs.md): sheets, Chinese headers, the result list."""

from __future__ import annotations

import re

import polars as pl

RESULTS = [
    "属实-已纳入救助",
    "属实-已停保或调整",
    "属实-待办理",
    "不属实",
    "已享受相关待遇",
    "无法核实",
]
KEEPS_OPEN = "属实-待办理"
RESULT_MEANINGS = {  # what each 核查结果 means, and what it does to the lead (the 说明 sheet)
    "属实-已纳入救助": "情况属实，已纳入相应救助。线索关闭。",
    "属实-已停保或调整": "情况属实，已办理停保或调整保障金。线索关闭。",
    "属实-待办理": "情况属实，正在办理。线索保持开放，下月继续列出，请办结后再次反馈。",
    "不属实": "经入户核查，情况不属实。线索关闭；情况发生实质变化时系统会重新列出。",
    "已享受相关待遇": "当事人已享受相关待遇。线索关闭。",
    "无法核实": "无法核实（如人户分离、无法联系）。线索关闭。",
}
GUIDE_SHEET = "说明"

# header, field, column width in Excel's units (a digit of the default font; a Chinese
# character of FONT_SIZE takes about two): chosen so the sheet prints at PRINT_MIN_POINTS
LEAD_HEADERS = [
    ("线索编号", "lead_id", 13),  # 19 characters, wrapped after the month: EVO-2610- / 3F9A…
    ("预警类型", "rule_name", 9),
    ("优先级", "priority", 4.5),
    ("状态", "status", 4.5),
    ("姓名", "name", 6),
    ("公民身份号码", "id_number", 23.5),
    ("性别", "sex", 3),
    ("年龄", "age", 3),
    ("村（社区）", "village", 7),
    ("触发依据", "evidence", 25.5),
    ("建议措施", "suggested_action", 16),
    ("核查截止日期", "due_date", 13.5),
]
VERIFICATION_HEADERS = [("核查结果", 10), ("核查日期", 11.5), ("核查人", 5), ("备注", 7.5)]
SUMMARY_SHEET = "汇总"

# --- print: A4 landscape at a decided scale, never the renderer's fit-to-page -----------------
FONT_SIZE = 11  # points, every cell
PRINT_MIN_POINTS = 9  # the smallest text on paper (outputs.md: readable on A4 landscape)
A4_LANDSCAPE_WIDTH_IN = 297 / 25.4
SIDE_MARGIN_IN = 0.25


def column_pixels(width: float) -> int:
    """A column's width in pixels as Excel (and XlsxWriter) computes it for the default font."""
    return int(width * 7 + 0.5) + 5 if width >= 1 else int(width * 12 + 0.5)


# how much wider than Excel's arithmetic another spreadsheet may lay the columns out
# (LibreOffice with Carlito for Calibri: 6 % on the town sheets, measured by `make docs`)
RENDERER_ALLOWANCE = 1.07


def print_scale(widths: list[float]) -> int:
    """The largest whole percentage at which the columns fit one A4 landscape page width
    (96 pixels an inch) with RENDERER_ALLOWANCE to spare, at most 100."""
    printable = (A4_LANDSCAPE_WIDTH_IN - 2 * SIDE_MARGIN_IN) * 96
    needed = sum(column_pixels(w) for w in widths) * RENDERER_ALLOWANCE
    return min(100, int(100 * printable / needed))


def sheet_name(town_code: str | None, town_name: str | None) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\."""
    name = f"{town_name}（{town_code}）" if town_name else (town_code or "未知乡镇")
    for char in "[]:*?/\\":
        name = name.replace(char, "_")
    return name[:31]


LINE_POINTS = 16  # a wrapped line of FONT_SIZE text (CJK fonts: 1.45 em), in points
CELL_PADDING_PX = 5


def per_line(width: float) -> int:
    """Tenths of an em a line of a column holds at FONT_SIZE: its pixels less the cell's
    padding. A CJK character takes a whole em (10); any other, 0.6 em (6): the CJK fonts a
    spreadsheet falls back to draw digits and Latin letters wider than half an em."""
    tenth_em = FONT_SIZE * 96 / 72 / 10
    return max(int((column_pixels(width) - CELL_PADDING_PX) / tenth_em), 1)


UNBROKEN = r"[0-9A-Za-z]{12,}"  # an identity number: never split, so it may leave a line short


def text_lines(text: str, width: float) -> int:
    """Lines `text` wraps to in a column of `width` (when it wraps, one more per long
    unbroken run)."""
    tenths = sum(10 if ord(char) > 0x2E7F else 6 for char in text)
    lines = max(-(-tenths // per_line(width)), 1)
    return lines + len(re.findall(UNBROKEN, text)) if lines > 1 else lines


def row_lines(leads: pl.DataFrame) -> pl.Series:
    """Text lines each lead's row needs: its tallest cell when wrapped to its column, where
    a CJK or full-width character (above U+2E7F) takes an em and any other 0.6 em
    (`text_lines`, vectorised: a city's workbooks hold half a million cells)."""
    lines = []
    for _, field, width in LEAD_HEADERS:
        text = pl.col(field).cast(pl.String)
        columns = 6 * text.str.len_chars() + 4 * text.str.count_matches(r"[^\x00-\x{2E7F}]")
        capacity = per_line(width)
        wrapped = (columns + capacity - 1) // capacity
        wrapped = (
            pl.when(wrapped > 1).then(wrapped + text.str.count_matches(UNBROKEN)).otherwise(wrapped)
        )
        lines.append(pl.when(columns > 0).then(wrapped).otherwise(1).fill_null(1))
    return leads.select(pl.max_horizontal(lines).alias("lines")).to_series()
