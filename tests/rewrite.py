"""Test helper: break a delivered file the way real exports break, keeping its name and format."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable
from pathlib import Path

import python_calamine
import xlsxwriter

Rows = list[list[str]]


def _read(path: Path) -> Rows:
    if path.suffix == ".xlsx":
        sheet = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        rows = sheet.to_python(skip_empty_area=False)
        return [
            [
                ""
                if v is None
                else (
                    v.isoformat()
                    if hasattr(v, "isoformat")
                    else (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v))
                )
                for v in r
            ]
            for r in rows
        ]
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return list(csv.reader(io.StringIO(data.decode(encoding))))
        except UnicodeDecodeError:
            continue
    raise ValueError(path)


def _write(path: Path, rows: Rows) -> None:
    if path.suffix == ".xlsx":
        book = xlsxwriter.Workbook(str(path))
        sheet = book.add_worksheet()
        for i, row in enumerate(rows):
            sheet.write_row(i, 0, row)
        book.close()
        return
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_bytes(codecs.BOM_UTF8 + buffer.getvalue().encode("utf-8"))


def rewrite(path: Path, change: Callable[[list[str], Rows], tuple[list[str], Rows]]) -> None:
    """`change(header, data_rows)` -> (header, data_rows); title and 合计 rows are dropped."""
    rows = _read(path)
    start = next(i for i, r in enumerate(rows) if "公民身份号码" in [c.strip() for c in r])
    header = rows[start]
    data = [
        r for r in rows[start + 1 :] if any(c.strip() for c in r) and not r[0].startswith("合计")
    ]
    header, data = change(header, data)
    _write(path, [header, *data])


def column(header: list[str], name: str) -> int:
    return [c.strip() for c in header].index(name)
