"""Parsers for the dirty value forms of extracts.md: dates, amounts, code tables.

Each parser returns null for a blank cell and for an unparsable one; callers
tell the two apart with `is_blank` to choose between "optional" and a
quarantine reason.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

EXCEL_EPOCH = dt.date(1899, 12, 30)
_TIME_SUFFIX = r"\s+\d{1,2}:\d{2}(:\d{2})?(\.\d+)?$"
_SEPARATED = r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$"
_COMPACT = r"^(\d{4})(\d{2})(\d{2})$"
_SERIAL = r"^(\d{1,5})(\.0+)?$"
_AMOUNT = r"^(-?)(\d+)(?:\.(\d{1,2}))?$"


def stripped(value: pl.Expr) -> pl.Expr:
    return value.str.strip_chars().replace("", None)


def is_blank(value: pl.Expr) -> pl.Expr:
    return stripped(value).is_null()


def parse_date(value: pl.Expr, allow_serial: pl.Expr | bool = False) -> pl.Expr:
    """`20261031`, `2026-10-31`, `2026/9/5`, `2026年9月5日`, an Excel cell, or a serial.

    Serial numbers (days since 1899-12-30) are accepted only where `allow_serial`
    holds: in xlsx files, where Excel stores dates that way.
    """
    text = stripped(value).str.replace(_TIME_SUFFIX, "")
    separated = text.str.extract_groups(_SEPARATED)
    compact = text.str.extract_groups(_COMPACT)
    year = pl.coalesce(separated.struct.field("1"), compact.struct.field("1"))
    month = pl.coalesce(separated.struct.field("2"), compact.struct.field("2"))
    day = pl.coalesce(separated.struct.field("3"), compact.struct.field("3"))
    calendar_date = pl.concat_str(
        year, pl.lit("-"), month.str.zfill(2), pl.lit("-"), day.str.zfill(2)
    ).str.to_date("%Y-%m-%d", strict=False)
    serial = text.str.extract(_SERIAL, 1).cast(pl.Int64, strict=False)
    serial_date = pl.lit(EXCEL_EPOCH) + pl.duration(days=serial)
    use_serial = (
        pl.lit(allow_serial) if isinstance(allow_serial, bool) else allow_serial
    ) & serial.is_between(1, 2_958_465)
    return (
        pl.when(calendar_date.is_not_null())
        .then(calendar_date)
        .when(use_serial)
        .then(serial_date.cast(pl.Date))
    )


def parse_fen(value: pl.Expr) -> pl.Expr:
    """An amount in yuan (`12,345.60`, `-300`, `￥1,000元`) as exact integer fen."""
    text = (
        stripped(value)
        .str.replace_all(r"[,，\s]", "")
        .str.replace(r"^[¥￥]", "")
        .str.replace(r"元$", "")
    )
    parts = text.str.extract_groups(_AMOUNT)
    whole = parts.struct.field("2").cast(pl.Int64, strict=False)
    cents = parts.struct.field("3").fill_null("").str.pad_end(2, "0").cast(pl.Int64, strict=False)
    magnitude = whole * 100 + cents
    return pl.when(parts.struct.field("1") == "-").then(-magnitude).otherwise(magnitude)


def parse_int(value: pl.Expr) -> pl.Expr:
    return stripped(value).str.replace(r"\.0+$", "").cast(pl.Int64, strict=False)


def map_code(value: pl.Expr, table: dict[str, str]) -> pl.Expr:
    """A code table lookup (names and numeric codes to the canonical name); null if unknown."""
    text = stripped(value).str.normalize("NFKC").str.replace_all(r"\s+", "")
    return text.replace_strict(table, default=None, return_dtype=pl.String)


def normalise_name(value: pl.Expr) -> pl.Expr:
    """Names compare equal after NFKC and removal of all white space (rules.md)."""
    return value.str.normalize("NFKC").str.replace_all(r"\s+", "").replace("", None)
