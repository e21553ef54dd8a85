"""The parts every source's normaliser is built of (sources/<name>.py): string columns in,
typed columns plus a quarantine reason out.

A normaliser returns every input row with its parsed values and `_reason` (null when
the row is loadable). The first failing check names the reason; the order of checks is
the order of the `when` chain (`reason`).
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from doudi_core.places import COUNTIES
from ingest import identity
from ingest.values import Parser, is_blank, stripped

REQUIRED_VALUE_MISSING = "REQUIRED_VALUE_MISSING"
DATE_UNPARSABLE = "DATE_UNPARSABLE"
DATE_AFTER_PERIOD = "DATE_AFTER_PERIOD"
AMOUNT_UNPARSABLE = "AMOUNT_UNPARSABLE"
CODE_UNKNOWN = "CODE_UNKNOWN"
TOWN_CODE_MALFORMED = "TOWN_CODE_MALFORMED"
OUTSIDE_CITY = "OUTSIDE_CITY"
VALUE_TOO_LONG = "VALUE_TOO_LONG"
MAX_CELL_BYTES = (
    2000  # no field of the contract is anywhere near this; a longer cell is broken input
)

COUNTY_CODES = sorted(COUNTIES)


def _per_value(raw: pl.DataFrame, expr: pl.Expr, rows: pl.Series | None = None) -> pl.Series:
    """`expr` computed once per distinct value of the raw columns it reads, joined back (on
    `rows` of `raw` alone, by index, when given).

    Delivered cells repeat: a file of a million settlements holds a few
    thousand dates, a handful of code-table spellings and a few amounts paid
    by every patient, so parsing distinct values saves most of the work. Only
    the key columns are joined, never the wide frame, and a column constant
    over the slice (`_format`) is left out of the join.
    """
    keys = sorted(set(expr.meta.root_names()))
    raw = raw.select(keys) if rows is None else raw.select(keys)[rows]
    table = raw.lazy().unique().with_columns(expr.alias("_value")).collect()
    varying = [k for k in keys if table.get_column(k).n_unique() > 1] or keys[:1]
    joined = raw.select(varying).join(
        table.select(*varying, "_value"),
        on=varying,
        how="left",
        nulls_equal=True,
        maintain_order="left",
    )
    return joined.get_column("_value")


def _parsed(raw: pl.DataFrame, parser: Parser) -> pl.Series:
    """`parser.fast` on the plain cells, its full parse per distinct value on the others."""
    fast = raw.select(parser.plain.fill_null(False).alias("plain"), parser.fast.alias("value"))
    values = fast.get_column("value")
    others = fast.get_column("plain").not_().arg_true()
    if others.is_empty():
        return values
    return values.scatter(others, _per_value(raw, parser.full, others))


def start(
    raw: pl.DataFrame,
    as_of: dt.date,
    parents: tuple[str, ...] = (),
    **outputs: pl.Expr | Parser,
) -> pl.LazyFrame:
    """The raw frame plus the person's normalised number (`id18`, `id_cleaned`, `_id_reason`),
    the parents' (`<parent>_id18`), and each output (an expression of raw columns, computed
    per distinct value, or a parser with a fast path)."""
    columns = [
        (_parsed(raw, expr) if isinstance(expr, Parser) else _per_value(raw, expr)).alias(name)
        for name, expr in outputs.items()
    ]
    frame = identity.add_identity(
        raw.hstack(columns).lazy(),
        "id_number",
        id18="id18",
        cleaned="id_cleaned",
        reason="_id_reason",
        latest_birth=as_of,
    )
    for parent in parents:  # identity numbers are mostly distinct: checked row by row
        frame = identity.add_identity(
            frame, f"{parent}_id_number", id18=f"{parent}_id18", latest_birth=as_of
        )
    # a parent's number invalid for now may be valid at a later as_of (a birth date after
    # it): such a row is normalised again next month, never reused (ingest/memo.py)
    settled = [
        is_blank(pl.col(f"{parent}_id_number")) | pl.col(f"{parent}_id18").is_not_null()
        for parent in parents
    ]
    return frame.with_columns(
        _parents_settled=pl.all_horizontal(settled) if settled else pl.lit(True)
    )


def town(column: str = "town_code") -> tuple[pl.Expr, list[tuple[pl.Expr, str]]]:
    town = stripped(pl.col(column))
    checks = [
        (town.is_null(), REQUIRED_VALUE_MISSING),
        (~town.str.contains(r"^\d{9}$"), TOWN_CODE_MALFORMED),
        (~town.str.slice(0, 6).is_in(COUNTY_CODES), OUTSIDE_CITY),
    ]
    return town, checks


def date_checks(raw: str, parsed: str, as_of: dt.date, required: bool) -> list:
    checks = []
    if required:
        checks.append((is_blank(pl.col(raw)), REQUIRED_VALUE_MISSING))
    checks.append((~is_blank(pl.col(raw)) & pl.col(parsed).is_null(), DATE_UNPARSABLE))
    checks.append((pl.col(parsed) > pl.lit(as_of), DATE_AFTER_PERIOD))
    return checks


def code_checks(raw: str, parsed: str, required: bool = True) -> list:
    checks = [(~is_blank(pl.col(raw)) & pl.col(parsed).is_null(), CODE_UNKNOWN)]
    if required:
        checks.insert(0, (is_blank(pl.col(raw)), REQUIRED_VALUE_MISSING))
    return checks


def serial_ok() -> pl.Expr:
    """Excel serial numbers are dates only in xlsx files."""
    return pl.col("_format") == "xlsx"


def reason(checks: list[tuple[pl.Expr, str | pl.Expr]]) -> pl.Expr:
    """The first failing check's reason; an absurdly long cell fails before anything else."""
    too_long = (
        pl.max_horizontal(pl.col(pl.String).exclude("^_.*$").str.len_bytes()) > MAX_CELL_BYTES
    )
    chain = pl.when(too_long).then(pl.lit(VALUE_TOO_LONG))
    for condition, reason in checks:
        value = reason if isinstance(reason, pl.Expr) else pl.lit(reason)
        chain = chain.when(condition).then(value)
    return chain.otherwise(pl.lit(None, dtype=pl.String))


def town_columns() -> list[pl.Expr]:
    """A table's town and county, from the normalised `town`."""
    return [pl.col("town").alias("town_code"), pl.col("town").str.slice(0, 6).alias("county_code")]
