"""The forms of an identity number that identity repair compares, read from whatever digits
survive: a typo in the check character or the sequence still leaves the birth date."""

from __future__ import annotations

import polars as pl


def first17(number: pl.Expr) -> pl.Expr:
    """The 17 meaningful digits: of an 18-character number, or of a 15-digit (pre-1999) one
    with the century restored (the check character carries nothing but a typo check)."""
    n = number.str.strip_chars().str.to_uppercase()
    return (
        pl.when(n.str.contains(r"^\d{17}[\dX]?$"))
        .then(n.str.slice(0, 17))
        .when(n.str.contains(r"^\d{15}$"))
        .then(pl.concat_str(n.str.slice(0, 6), pl.lit("19"), n.str.slice(6, 9)))
    )


def number_forms(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """Add `id17`, `birth8` (the birth date's digits, valid or not), `birth8_swapped` (day and
    month exchanged), `id17_swapped` and `digit_sex` (from the 17th digit)."""
    id17 = pl.col("id17")
    birth = id17.str.slice(6, 8)
    swapped = pl.concat_str(birth.str.slice(0, 4), birth.str.slice(6, 2), birth.str.slice(4, 2))
    return frame.with_columns(first17(pl.col(column)).alias("id17")).with_columns(
        birth8=birth,
        birth8_swapped=swapped,
        id17_swapped=pl.concat_str(id17.str.slice(0, 6), swapped, id17.str.slice(14, 3)),
        digit_sex=pl.when(id17.str.slice(16, 1).cast(pl.Int32, strict=False) % 2 == 1)
        .then(pl.lit("男"))
        .when(id17.is_not_null())
        .then(pl.lit("女")),
    )
