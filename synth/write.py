"""Write one file the way a department's system exports it: CSV in one of three
encodings, or xlsx with title rows, a 合计 row and real date cells."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import xlsxwriter

from doudi_core.files import written_atomically
from synth.dirt import DATE_CELL, SERIAL_CELL


def write_csv(frame: pl.DataFrame, path: Path, encoding: str, blank_rows: int) -> int:
    """Returns the line number of the first data row."""
    text = frame.write_csv(null_value="")
    text += "," * (frame.width - 1) + "\n" if blank_rows else ""
    codec = {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "gb18030": "gb18030"}[encoding]
    _atomic_bytes(path, text.encode(codec))
    return 2


def write_xlsx(frame: pl.DataFrame, path: Path, title: str, title_rows: int, totals: bool) -> int:
    """Returns the Excel row number of the first data row."""
    with written_atomically(path) as tmp:
        return _write_xlsx(frame, tmp, title, title_rows, totals)


def _write_xlsx(frame: pl.DataFrame, tmp: Path, title: str, title_rows: int, totals: bool) -> int:
    workbook = xlsxwriter.Workbook(str(tmp), {"constant_memory": True, "strings_to_numbers": False})
    workbook.set_properties({"created": dt.datetime(2000, 1, 1)})  # same seed, same bytes
    sheet = workbook.add_worksheet("Sheet1")
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    row = 0
    for i in range(title_rows):
        sheet.write_string(row, 0, title if i == 0 else f"制表日期：{title[-9:-1]}")
        row += 1
    sheet.write_row(row, 0, frame.columns)
    row += 1
    first = row + 1
    for values in frame.iter_rows():
        for col, value in enumerate(values):
            if value is None:
                continue
            if value.startswith(DATE_CELL):
                sheet.write_datetime(row, col, dt.datetime.fromisoformat(value[2:]), date_format)
            elif value.startswith(SERIAL_CELL):
                sheet.write_number(row, col, int(value[2:]))
            else:
                sheet.write_string(row, col, value)
        row += 1
    if totals:
        sheet.write_string(row, 0, "合计")
        sheet.write_string(row, 1, f"{frame.height}人")
    workbook.close()
    return first


def _atomic_bytes(path: Path, data: bytes) -> None:
    with written_atomically(path) as tmp:
        tmp.write_bytes(data)
