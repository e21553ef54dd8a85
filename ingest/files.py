"""Read one delivered file (CSV in any of three encodings, or xlsx) into string columns.

Finds the header row among the first ten, maps the Chinese column names,
drops blank rows and a 合计 totals row (counting both), and numbers every data
row as a person opening the file would see it (CSV line, Excel row).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import itertools
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import python_calamine

from sources.contract import Source

HEADER_SEARCH_ROWS = 10
RECODE_BYTES = 4 << 20  # a GB18030 file is recoded this much at a time (see _recoded)
csv.field_size_limit(
    2**31 - 1
)  # a huge cell is the normaliser's to reject (VALUE_TOO_LONG), not a crash
TOTALS_MARKERS = ("合计", "总计")
SUPPORTED_SUFFIXES = (".csv", ".xlsx")


class FileRejected(Exception):
    """A file that cannot be read at all: the run stops and names file and reason."""

    def __init__(self, path: Path, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class FilesRejected(FileRejected):
    """Every file of a delivery that cannot be read, so that one run names them all."""

    def __init__(self, rejections: list[FileRejected]):
        super().__init__(rejections[0].path, rejections[0].reason)
        self.args = ("\n".join(str(r) for r in rejections),)
        self.rejections = rejections


@dataclass
class RawFile:
    """A file's data rows as strings, with the bookkeeping the run reports."""

    path: Path
    file_format: str  # "csv" | "xlsx"
    encoding: str | None
    header_row: int  # 1-based row/line of the header
    rows: pl.DataFrame  # snake_case string columns + _row (1-based)
    extra_columns: list[str] = field(default_factory=list)
    blank_rows: int = 0
    totals_rows: int = 0


def header_key(name: object) -> str:
    """Column names compare after NFKC (full-width brackets) and without white space."""
    text = unicodedata.normalize("NFKC", str(name or ""))
    return "".join(text.split())


def read_file(path: Path, schema: Source) -> RawFile:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path, schema)
    if suffix == ".xlsx":
        return _read_xlsx(path, schema)
    raise FileRejected(path, f"unsupported file type {suffix or '(none)'}: send .csv or .xlsx")


# --- header ---------------------------------------------------------------------


def _find_header(path: Path, rows: list[list[object]], schema: Source) -> tuple[int, dict]:
    """Index of the header row and {column position: snake name}; rejects when absent."""
    wanted = {header_key(c): c for c in schema.columns}
    required = {header_key(c) for c in schema.required_columns}
    best: tuple[int, int] = (-1, -1)
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        keys = {header_key(cell) for cell in row}
        found = len(required & keys)
        if found == len(required):
            positions = {}
            for pos, cell in enumerate(row):
                key = header_key(cell)
                if key in wanted and schema.columns[wanted[key]] not in positions.values():
                    positions[pos] = schema.columns[wanted[key]]
            return index, positions
        if found > best[1]:
            best = (index, found)
    if best[1] <= 0:
        raise FileRejected(
            path,
            f"no header row with the {schema.label} columns in the first {HEADER_SEARCH_ROWS} rows",
        )
    keys = {header_key(cell) for cell in rows[best[0]]}
    missing = [c for c in schema.required_columns if header_key(c) not in keys]
    raise FileRejected(path, f"required column missing: {'、'.join(missing)}")


def _extra_columns(header: list[object], positions: dict) -> list[str]:
    return [str(c).strip() for i, c in enumerate(header) if i not in positions and str(c).strip()]


# --- CSV ------------------------------------------------------------------------


def detect_encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM) when the first megabyte decodes strictly as UTF-8 (polars
    then validates the rest as it parses), else GB18030 (a superset of GBK), decoded strictly."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        codecs.getincrementaldecoder("utf-8")(errors="strict").decode(data[: 1 << 20], final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def _to_utf8(path: Path, data: bytes, encoding: str) -> bytes:
    if encoding == "utf-8-sig":
        return data[len(codecs.BOM_UTF8) :]
    if encoding == "gb18030":
        try:
            return _recoded(data)
        except UnicodeDecodeError as error:
            raise FileRejected(
                path, "cannot be decoded as UTF-8 or GB18030/GBK: not a text CSV export"
            ) from error
    return data


def _recoded(data: bytes) -> bytes:
    """GB18030 to UTF-8 a few megabytes at a time: a codec call holds the GIL throughout, so
    one call over a county's file would stop the slice threads; each piece goes straight
    into one buffer, so the decoded text is never held whole beside the bytes
    (docs/decisions.md, "Measured choices")."""
    decoder = codecs.getincrementaldecoder("gb18030")(errors="strict")
    recoded = io.BytesIO()
    for start in range(0, len(data), RECODE_BYTES):
        recoded.write(decoder.decode(data[start : start + RECODE_BYTES]).encode("utf-8"))
    recoded.write(decoder.decode(b"", final=True).encode("utf-8"))
    return recoded.getvalue()


def _read_csv(path: Path, schema: Source, forced: str | None = None) -> RawFile:
    data = path.read_bytes()
    if b"\0" in data[:65536]:
        raise FileRejected(path, "binary content (NUL bytes): not a CSV file")
    encoding = forced or detect_encoding(data)
    data = _to_utf8(path, data, encoding)
    head_text = data[: 1 << 20].decode("utf-8", errors="ignore")
    try:
        head_rows = list(itertools.islice(csv.reader(io.StringIO(head_text)), HEADER_SEARCH_ROWS))
    except csv.Error as error:
        raise FileRejected(path, f"malformed CSV in its first lines: {error}") from error
    if not head_rows:
        raise FileRejected(path, "empty file")
    header_index, positions = _find_header(path, head_rows, schema)
    try:
        frame = pl.read_csv(
            io.BytesIO(data),
            has_header=False,
            skip_rows=header_index + 1,
            infer_schema=False,
            truncate_ragged_lines=False,
            raise_if_empty=False,
        )
    except pl.exceptions.PolarsError as error:
        if encoding == "utf-8" and "utf-8" in str(error):  # valid at the start, not further on
            return _read_csv(path, schema, "gb18030")
        raise FileRejected(path, f"malformed CSV: {str(error).splitlines()[0]}") from error
    del data  # a county's file is hundreds of megabytes: not held beside the frame
    width = len(head_rows[header_index])
    if frame.width and frame.width != width:
        raise FileRejected(
            path, f"rows have {frame.width} fields but the header has {width}: malformed CSV"
        )
    frame = (
        frame.select(pl.col(frame.columns[pos]).alias(name) for pos, name in positions.items())
        if frame.width
        else pl.DataFrame(schema={n: pl.String for n in positions.values()})
    )
    frame = frame.with_row_index("_row", offset=header_index + 2).with_columns(
        pl.col("_row").cast(pl.Int64)
    )
    return _finish(
        path,
        "csv",
        encoding,
        header_index + 1,
        frame,
        _extra_columns(head_rows[header_index], positions),
        schema,
    )


# --- xlsx -----------------------------------------------------------------------


def _cell_text(value: object) -> str | None:
    """Excel cell to text: dates as ISO, whole floats without `.0`, no float noise."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    return str(value)


def _read_xlsx(path: Path, schema: Source) -> RawFile:
    try:
        workbook = python_calamine.CalamineWorkbook.from_path(str(path))
        rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as error:  # calamine raises its own error types for any bad workbook
        raise FileRejected(
            path, f"not a readable xlsx workbook ({type(error).__name__})"
        ) from error
    if not rows:
        raise FileRejected(path, "empty workbook: the first sheet has no rows")
    header_index, positions = _find_header(path, rows, schema)
    body = rows[header_index + 1 :]
    columns = {
        name: [_cell_text(r[pos]) if pos < len(r) else None for r in body]
        for pos, name in positions.items()
    }
    frame = pl.DataFrame(columns, schema={n: pl.String for n in columns})
    frame = frame.with_row_index("_row", offset=header_index + 2).with_columns(
        pl.col("_row").cast(pl.Int64)
    )
    return _finish(
        path,
        "xlsx",
        None,
        header_index + 1,
        frame,
        _extra_columns(rows[header_index], positions),
        schema,
    )


# --- shared tail ------------------------------------------------------------------


def _finish(
    path: Path,
    file_format: str,
    encoding: str | None,
    header_row: int,
    frame: pl.DataFrame,
    extra: list[str],
    schema: Source,
) -> RawFile:
    for name in schema.columns.values():  # an optional column that is absent reads as blank
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(name))
    data_columns = list(schema.columns.values())
    frame = frame.select("_row", *data_columns)
    blank, totals = _blank_and_totals_rows(frame, data_columns)
    kept = frame.filter(~pl.col("_row").is_in(blank + totals)) if blank or totals else frame
    return RawFile(
        path=path,
        file_format=file_format,
        encoding=encoding,
        header_row=header_row,
        rows=kept,
        extra_columns=extra,
        blank_rows=len(blank),
        totals_rows=len(totals),
    )


def _blank_and_totals_rows(frame: pl.DataFrame, columns: list[str]) -> tuple[list, list]:
    """Row numbers of blank rows (every cell empty or white space) and of totals rows (the
    first non-blank cell starts with 合计/总计).

    Both are rare, so the exact test (every cell stripped) runs only on rows
    whose first non-null cell, as read, is blank or starts with a marker;
    anywhere else that cell is the first non-blank one and rules both out.
    """
    first_read = pl.coalesce(pl.col(c) for c in columns).str.strip_chars()
    suspects = frame.filter(first_read.is_null() | (first_read == "") | _totals_marker(first_read))
    if suspects.is_empty():
        return [], []
    cells = [pl.col(c).str.strip_chars().replace("", None) for c in columns]
    first = pl.coalesce(cells)
    flags = suspects.select(
        "_row",
        blank=pl.all_horizontal(cell.is_null() for cell in cells),
        totals=_totals_marker(first).fill_null(False),
    )
    blank = flags.filter("blank")["_row"].to_list()
    totals = flags.filter(~pl.col("blank") & pl.col("totals"))["_row"].to_list()
    return blank, totals


def _totals_marker(text: pl.Expr) -> pl.Expr:
    return pl.any_horizontal(text.str.starts_with(marker) for marker in TOTALS_MARKERS)
