"""Identity numbers (GB 11643-1999): clean, upgrade 15 -> 18 digits, validate.

All of it is lazy polars expressions (millions of numbers a second); the
generator has its own independent implementation and the tests compare both
with the `id-validator` package.
"""

from __future__ import annotations

import datetime as dt
import functools

import polars as pl

from doudi_core.places import PROVINCE_CODES
from ingest.values import folded

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# ASCII digits only: a regex's \d also matches digits NFKC leaves alone (Arabic-Indic, …)
_ID18, _ID15 = r"^[0-9]{17}[0-9X]$", r"^[0-9]{15}$"

# Quarantine reasons, in the order they are tested.
ID_MISSING = "ID_MISSING"
ID_MALFORMED = "ID_MALFORMED"
ID_BAD_CHECK_DIGIT = "ID_BAD_CHECK_DIGIT"
ID_BAD_BIRTH_DATE = "ID_BAD_BIRTH_DATE"
ID_UNKNOWN_PROVINCE = "ID_UNKNOWN_PROVINCE"
ID_REASONS = (ID_MISSING, ID_MALFORMED, ID_BAD_CHECK_DIGIT, ID_BAD_BIRTH_DATE, ID_UNKNOWN_PROVINCE)


def clean(raw: pl.Expr) -> pl.Expr:
    """The number as delivered, less white space, full-width folded, `x` upper-cased."""
    return folded(raw).str.to_uppercase().replace("", None)


def _check_char(body17: pl.Expr) -> pl.Expr:
    """ISO 7064 MOD 11-2 over the 17 ASCII digits, read as one integer cut into three chunks,
    each chunk's weighted digit sum looked up in a table: a third of the time of summing
    the 17 weighted digits one by one."""
    number = body17.cast(pl.Int64)
    first, middle, last = _chunk_sums()
    total = (
        pl.lit(first).gather(number // 10**11)
        + pl.lit(middle).gather(number // 10**5 % 10**6)
        + pl.lit(last).gather(number % 10**5)
    )
    return pl.lit(pl.Series(list(CHECK_CHARS))).gather(total % 11)


@functools.cache
def _chunk_sums() -> tuple[pl.Series, ...]:
    """For each chunk of the 17 digits (6, 6 and 5 wide), the weighted digit sum mod 11 of
    every value the chunk can hold, indexed by that value."""
    tables, start = [], 0
    for width in (6, 6, 5):
        value = pl.int_range(10**width, dtype=pl.Int64)
        weights = WEIGHTS[start : start + width]
        digits = (value // 10 ** (width - 1 - i) % 10 * w for i, w in enumerate(weights))
        tables.append(pl.select(pl.sum_horizontal(digits) % 11).to_series())
        start += width
    return tuple(tables)


def body17(cleaned: pl.Expr) -> pl.Expr:
    """The 17 digits before the check character of a `clean`ed number: of an 18-character
    one, or of a 15-digit (pre-1999) one with the century restored; null otherwise."""
    return (
        pl.when(cleaned.str.contains(_ID18))
        .then(cleaned.str.slice(0, 17))
        .when(cleaned.str.contains(_ID15))
        .then(pl.concat_str(cleaned.str.slice(0, 6), pl.lit("19"), cleaned.str.slice(6, 9)))
    )


def add_identity(
    frame: pl.LazyFrame,
    raw: str,
    *,
    id18: str,
    cleaned: str | None = None,
    reason: str | None = None,
    latest_birth: dt.date,
    earliest_year: int = 1900,
) -> pl.LazyFrame:
    """Add the normalised number `id18` (null unless valid), optionally the `cleaned` number
    as delivered and the quarantine `reason`, computed step by step (no repeated work)."""
    c, body, check, birth = (f"_{id18}_{part}" for part in ("clean", "body", "check", "birth"))
    frame = frame.with_columns(clean(pl.col(raw)).alias(c))
    frame = frame.with_columns(body17(pl.col(c)).alias(body))
    frame = frame.with_columns(
        _check_char(pl.col(body)).alias(check),
        pl.col(body).str.slice(6, 8).str.to_date("%Y%m%d", strict=False).alias(birth),
    )
    why = (
        pl.when(pl.col(c).is_null())
        .then(pl.lit(ID_MISSING))
        .when(pl.col(body).is_null())
        .then(pl.lit(ID_MALFORMED))
        .when((pl.col(c).str.len_chars() == 18) & (pl.col(c).str.slice(17, 1) != pl.col(check)))
        .then(pl.lit(ID_BAD_CHECK_DIGIT))
        .when(
            pl.col(birth).is_null()
            | (pl.col(birth) > pl.lit(latest_birth))
            | (pl.col(birth) < pl.lit(dt.date(earliest_year, 1, 1)))
        )
        .then(pl.lit(ID_BAD_BIRTH_DATE))
        .when(~pl.col(body).str.slice(0, 2).is_in(sorted(PROVINCE_CODES)))
        .then(pl.lit(ID_UNKNOWN_PROVINCE))
    )
    frame = frame.with_columns(why.alias(f"_{id18}_why"))
    outputs = [
        pl.when(pl.col(f"_{id18}_why").is_null()).then(pl.concat_str(body, check)).alias(id18)
    ]
    if cleaned:
        outputs.append(pl.col(c).alias(cleaned))
    if reason:
        outputs.append(pl.col(f"_{id18}_why").alias(reason))
    return frame.with_columns(outputs).drop(c, body, check, birth, f"_{id18}_why")


def birth_date(id18: pl.Expr) -> pl.Expr:
    return id18.str.slice(6, 8).str.to_date("%Y%m%d", strict=False)


def sex(id18: pl.Expr) -> pl.Expr:
    """`男` for an odd sequence digit, `女` for even."""
    odd = id18.str.slice(16, 1).cast(pl.Int32, strict=False) % 2 == 1
    return pl.when(odd).then(pl.lit("男")).otherwise(pl.lit("女"))
