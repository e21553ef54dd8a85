"""The forms of an identity number that identity repair compares, read from whatever digits
survive: a typo in the check character or the sequence still leaves the birth date."""

from __future__ import annotations

import polars as pl

from ingest.identity import body17, clean, sex


def number_forms(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    """Add `id17` (the 17 digits before the check character, read as ingest reads them),
    `birth8` (the birth date's digits, valid or not), `birth8_swapped` (day and month
    exchanged), `id17_swapped` and `digit_sex` (from the 17th digit)."""
    id17 = pl.col("id17")
    birth = id17.str.slice(6, 8)
    swapped = pl.concat_str(birth.str.slice(0, 4), birth.str.slice(6, 2), birth.str.slice(4, 2))
    return frame.with_columns(body17(clean(pl.col(column))).alias("id17")).with_columns(
        birth8=birth,
        birth8_swapped=swapped,
        id17_swapped=pl.concat_str(id17.str.slice(0, 6), swapped, id17.str.slice(14, 3)),
        digit_sex=pl.when(id17.is_not_null()).then(sex(id17)),
    )
