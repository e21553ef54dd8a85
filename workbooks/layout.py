"""What a county workbook holds (outputs.md): sheets, Chinese headers, the result list."""

from __future__ import annotations

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

LEAD_HEADERS = [  # header, field, column width (characters; Chinese counts double) for A4 landscape
    ("线索编号", "lead_id", 20),
    ("预警类型", "rule_name", 14),
    ("优先级", "priority", 5),
    ("状态", "status", 5),
    ("姓名", "name", 8),
    ("公民身份号码", "id_number", 19.5),
    ("性别", "sex", 4),
    ("年龄", "age", 4),
    ("村（社区）", "village", 10),
    ("触发依据", "evidence", 30),
    ("建议措施", "suggested_action", 24),
    ("核查截止日期", "due_date", 11),
]
VERIFICATION_HEADERS = [("核查结果", 14), ("核查日期", 11), ("核查人", 8), ("备注", 14)]
SUMMARY_SHEET = "汇总"


def sheet_name(town_code: str | None, town_name: str | None) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\."""
    name = f"{town_name}（{town_code}）" if town_name else (town_code or "未知乡镇")
    for char in "[]:*?/\\":
        name = name.replace(char, "_")
    return name[:31]


def row_lines(leads: pl.DataFrame) -> pl.Series:
    """Text lines each lead's row needs: its tallest cell when wrapped to its column, where
    a CJK or full-width character (above U+2E7F) takes two columns (vectorised: a city's
    workbooks hold half a million cells)."""
    lines = []
    for _, field, width in LEAD_HEADERS:
        text = pl.col(field).cast(pl.String)
        columns = text.str.len_chars() + text.str.count_matches(r"[^\x00-\x{2E7F}]")
        per_line = max(int(width) - 1, 1)
        wrapped = (columns + per_line - 1) // per_line
        lines.append(pl.when(columns > 0).then(wrapped).otherwise(1).fill_null(1))
    return leads.select(pl.max_horizontal(lines).alias("lines")).to_series()
