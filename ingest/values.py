"""Parsers for the dirty value forms of extracts.md: dates, amounts, code tables.

Each parser returns null for a blank cell and for an unparsable one; callers
tell the two apart with `is_blank` to choose between "optional" and a
quarantine reason.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

EXCEL_EPOCH = dt.date(1899, 12, 30)
_TIME_SUFFIX = r"\s+\d{1,2}:\d{2}(:\d{2})?(\.\d+)?$"
_SERIAL = r"^\d{1,5}(?:\.0+)?$"
# at most 13 digits of yuan: read as a float they are exact, and in fen they fit an Int64;
# ASCII digits (a regex's \d matches full-width ones too, which the float reading refuses)
_AMOUNT = r"^-?[0-9]{1,13}(?:\.[0-9]{1,2})?$"
# text NFKC leaves as it is and without white space: printable ASCII and CJK Unified Ideographs
_FOLDED_ALREADY = r"^[!-~\u4E00-\u9FFF]*$"


@dataclass(frozen=True)
class Parser:
    """A parser with a fast path: a cell matching `plain` needs none of the cleaning, and
    `fast` gives on it exactly what `full` gives. Most delivered cells are plain, and the
    cleaning (stripping, replacing) costs several times the parse itself."""

    full: pl.Expr
    plain: pl.Expr
    fast: pl.Expr


def stripped(value: pl.Expr) -> pl.Expr:
    return value.str.strip_chars().replace("", None)


# the village or community of an address: what follows its town (镇, 乡, 街道) up to and
# including 村, 社区 or 居委会 ("…沭城街道城南社区三组15号" -> 城南社区)
VILLAGE_IN_ADDRESS = r"(?:镇|乡|街道)\s*([^\s镇乡]{1,12}?(?:村|社区|居委会))"


def village_of(address: pl.Expr) -> pl.Expr:
    """The village named in an address, or null where none can be read."""
    return address.str.extract(VILLAGE_IN_ADDRESS, 1)


def is_blank(value: pl.Expr) -> pl.Expr:
    return stripped(value).is_null()


def parse_date(value: pl.Expr, allow_serial: pl.Expr | bool = False) -> pl.Expr:
    """`20261031`, `2026-10-31`, `2026/10/31`, `2026/9/5`, `2026年9月5日`, an Excel cell, or a serial.

    Separators are unified to `-` and the text handed to one strict calendar
    parse (unpadded months and days are accepted; 2026-02-30 is not). Serial
    numbers (days since 1899-12-30) count only where `allow_serial` holds: in
    xlsx files, where Excel stores dates that way.
    """
    text = stripped(value).str.replace(_TIME_SUFFIX, "")
    unified = text.str.replace_all(r"[年月/.]", "-").str.strip_suffix("日")
    calendar_date = pl.coalesce(
        unified.str.to_date("%Y-%m-%d", strict=False), text.str.to_date("%Y%m%d", strict=False)
    )
    serial = pl.when(text.str.contains(_SERIAL)).then(
        text.str.replace(r"\.0+$", "").cast(pl.Int64, strict=False)
    )
    allowed = pl.lit(allow_serial) if isinstance(allow_serial, bool) else allow_serial
    serial_date = (pl.lit(EXCEL_EPOCH) + pl.duration(days=serial)).cast(pl.Date)
    return (
        pl.when(calendar_date.is_not_null())
        .then(calendar_date)
        .when(allowed & serial.is_between(1, 2_958_465))
        .then(serial_date)
    )


def parse_fen(value: pl.Expr) -> pl.Expr:
    """An amount in yuan (`12,345.60`, `-300`, `￥1,000元`) as exact integer fen.

    Validated by one pattern (at most two decimals), then read as a float: exact
    for any amount below 10^13 yuan, and several times faster than splitting.
    """
    text = stripped(value).str.replace_all(r"[,，\s¥￥元]", "")
    return pl.when(text.str.contains(_AMOUNT)).then(_fen_of_plain(text))


def fen_parser(value: pl.Expr) -> Parser:
    """`parse_fen`, with a fast path for an amount delivered plain (`-1234.5`)."""
    return Parser(parse_fen(value), value.str.contains(_AMOUNT), _fen_of_plain(value))


def _fen_of_plain(text: pl.Expr) -> pl.Expr:
    """Fen of a plain amount; polars computes it on every cell, so others must not raise."""
    return (text.cast(pl.Float64, strict=False) * 100).round(0).cast(pl.Int64, strict=False)


def parse_int(value: pl.Expr) -> pl.Expr:
    return stripped(value).str.replace(r"\.0+$", "").cast(pl.Int64, strict=False)


def folded(value: pl.Expr) -> pl.Expr:
    """NFKC (full-width forms folded) with all white space removed.

    Most cells (identity numbers, names) are printable ASCII or common CJK
    characters, which both steps leave unchanged; a cheap test spares them the
    NFKC pass, which costs a third of a microsecond a cell.
    """
    plain = value.str.contains(_FOLDED_ALREADY)
    return (
        pl.when(plain)
        .then(value)
        .otherwise(value.str.normalize("NFKC").str.replace_all(r"\s+", ""))
    )


def map_code(value: pl.Expr, table: dict[str, str]) -> pl.Expr:
    """A code table lookup (names and numeric codes to the canonical name); null if unknown."""
    text = folded(stripped(value))
    return text.replace_strict(table, default=None, return_dtype=pl.String)


def normalise_name(value: pl.Expr) -> pl.Expr:
    """Names compare equal after NFKC and removal of all white space (rules.md)."""
    return folded(value).replace("", None)
