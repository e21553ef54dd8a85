"""Identity numbers (GB 11643-1999): clean, upgrade 15 -> 18 digits, validate.

All of it is lazy polars expressions (millions of numbers a second); the
generator has its own independent implementation and the tests compare both
with the `id-validator` package.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from doudi_core.places import PROVINCE_CODES

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"

# Quarantine reasons, in the order they are tested.
ID_MISSING = "ID_MISSING"
ID_MALFORMED = "ID_MALFORMED"
ID_BAD_CHECK_DIGIT = "ID_BAD_CHECK_DIGIT"
ID_BAD_BIRTH_DATE = "ID_BAD_BIRTH_DATE"
ID_UNKNOWN_PROVINCE = "ID_UNKNOWN_PROVINCE"
ID_REASONS = (ID_MISSING, ID_MALFORMED, ID_BAD_CHECK_DIGIT, ID_BAD_BIRTH_DATE, ID_UNKNOWN_PROVINCE)


def clean(raw: pl.Expr) -> pl.Expr:
    """The number as delivered, less white space, full-width folded, `x` upper-cased."""
    return (
        raw.str.normalize("NFKC").str.replace_all(r"\s+", "").str.to_uppercase().replace("", None)
    )


def check_char(body17: pl.Expr) -> pl.Expr:
    """ISO 7064 MOD 11-2 check character of a 17-digit string expression."""
    total = pl.sum_horizontal(
        body17.str.slice(i, 1).cast(pl.Int32, strict=False) * weight
        for i, weight in enumerate(WEIGHTS)
    )
    return pl.lit(CHECK_CHARS).str.slice(total % 11, 1)


def normalise(raw: pl.Expr, latest_birth: dt.date, earliest_year: int = 1900) -> dict[str, pl.Expr]:
    """Expressions for `cleaned`, `id18` (null unless valid) and `reason` (null when valid)."""
    cleaned = clean(raw)
    is18 = cleaned.str.contains(r"^\d{17}[\dX]$")
    is15 = cleaned.str.contains(r"^\d{15}$")
    body17 = (
        pl.when(is18)
        .then(cleaned.str.slice(0, 17))
        .when(is15)
        .then(pl.concat_str(cleaned.str.slice(0, 6), pl.lit("19"), cleaned.str.slice(6, 9)))
    )
    expected = check_char(body17)
    birth = body17.str.slice(6, 8).str.to_date("%Y%m%d", strict=False)
    reason = (
        pl.when(cleaned.is_null())
        .then(pl.lit(ID_MISSING))
        .when(~(is18 | is15))
        .then(pl.lit(ID_MALFORMED))
        .when(is18 & (cleaned.str.slice(17, 1) != expected))
        .then(pl.lit(ID_BAD_CHECK_DIGIT))
        .when(
            birth.is_null()
            | (birth > pl.lit(latest_birth))
            | (birth < pl.lit(dt.date(earliest_year, 1, 1)))
        )
        .then(pl.lit(ID_BAD_BIRTH_DATE))
        .when(~body17.str.slice(0, 2).is_in(sorted(PROVINCE_CODES)))
        .then(pl.lit(ID_UNKNOWN_PROVINCE))
    )
    id18 = pl.when(reason.is_null()).then(pl.concat_str(body17, expected))
    return {"cleaned": cleaned, "id18": id18, "reason": reason}


def birth_date(id18: pl.Expr) -> pl.Expr:
    return id18.str.slice(6, 8).str.to_date("%Y%m%d", strict=False)


def sex(id18: pl.Expr) -> pl.Expr:
    """`男` for an odd sequence digit, `女` for even."""
    odd = id18.str.slice(16, 1).cast(pl.Int32, strict=False) % 2 == 1
    return pl.when(odd).then(pl.lit("男")).otherwise(pl.lit("女"))


def mask(id_number: str | None) -> str:
    """`3213**********1234`: how an identity number may appear in logs and errors."""
    if not id_number:
        return "<blank>"
    if len(id_number) <= 8:
        return "*" * len(id_number)
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:]
