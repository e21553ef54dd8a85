"""Per-source normalisation: string columns in, typed columns plus a quarantine reason out.

Each `normalise_<source>` returns every input row with its parsed values and
`_reason` (null when the row is loadable). The first failing check names the
reason; the order of checks is the order of the `when` chain.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from doudi_core.places import COUNTIES
from ingest import identity
from ingest import sources as s
from ingest.values import (
    Parser,
    fen_parser,
    is_blank,
    map_code,
    parse_date,
    parse_int,
    stripped,
)

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


def _start(
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
    return frame


def _town(column: str = "town_code") -> tuple[pl.Expr, list[tuple[pl.Expr, str]]]:
    town = stripped(pl.col(column))
    checks = [
        (town.is_null(), REQUIRED_VALUE_MISSING),
        (~town.str.contains(r"^\d{9}$"), TOWN_CODE_MALFORMED),
        (~town.str.slice(0, 6).is_in(COUNTY_CODES), OUTSIDE_CITY),
    ]
    return town, checks


def _date_checks(raw: str, parsed: str, as_of: dt.date, required: bool) -> list:
    checks = []
    if required:
        checks.append((is_blank(pl.col(raw)), REQUIRED_VALUE_MISSING))
    checks.append((~is_blank(pl.col(raw)) & pl.col(parsed).is_null(), DATE_UNPARSABLE))
    checks.append((pl.col(parsed) > pl.lit(as_of), DATE_AFTER_PERIOD))
    return checks


def _code_checks(raw: str, parsed: str, required: bool = True) -> list:
    checks = [(~is_blank(pl.col(raw)) & pl.col(parsed).is_null(), CODE_UNKNOWN)]
    if required:
        checks.insert(0, (is_blank(pl.col(raw)), REQUIRED_VALUE_MISSING))
    return checks


def _serial_ok() -> pl.Expr:
    return pl.col("_format") == "xlsx"


def normalise_hukou(raw: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    town, town_checks = _town()
    frame = _start(
        raw,
        as_of,
        ("father", "mother"),
        sex_code=map_code(pl.col("sex"), s.SEX),
        birth=parse_date(pl.col("birth_date"), _serial_ok()),
        relation_code=map_code(pl.col("relation"), s.HUKOU_RELATION),
        status_code=map_code(pl.col("status"), s.PERSON_STATUS),
        status_changed=parse_date(pl.col("status_date"), _serial_ok()),
    ).with_columns(town=town, household=stripped(pl.col("household_no")))
    checks = [
        (pl.col("_id_reason").is_not_null(), pl.col("_id_reason")),
        (stripped(pl.col("name")).is_null(), REQUIRED_VALUE_MISSING),
        (pl.col("household").is_null(), REQUIRED_VALUE_MISSING),
        *_code_checks("sex", "sex_code", required=False),
        *_date_checks("birth_date", "birth", as_of, required=False),
        *_code_checks("relation", "relation_code"),
        *_code_checks("status", "status_code"),
        *_date_checks("status_date", "status_changed", as_of, required=False),
        *town_checks,
    ]
    return frame.with_columns(_reason=_reason_with_id(checks)).collect()


def normalise_medical(raw: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    amounts = {
        "total_fen": "total_cost",
        "fund_fen": "fund_paid",
        "critical_fen": "critical_illness_paid",
        "assistance_fen": "assistance_paid",
        "oop_fen": "out_of_pocket",
    }
    county = stripped(pl.col("insured_county_code"))
    frame = _start(
        raw,
        as_of,
        insurance_code=map_code(pl.col("insurance_type"), s.INSURANCE_TYPE),
        care_code=map_code(pl.col("care_type"), s.CARE_TYPE),
        settled_on=parse_date(pl.col("settlement_date"), _serial_ok()),
        **{fen: fen_parser(pl.col(src)) for fen, src in amounts.items()},
    ).with_columns(
        settlement=stripped(pl.col("settlement_id")),
        reverses=stripped(pl.col("reverses_id")),
        insured_county=county,
    )
    amount_checks = []
    for fen, src in amounts.items():
        amount_checks.append((is_blank(pl.col(src)), REQUIRED_VALUE_MISSING))
        amount_checks.append((pl.col(fen).is_null(), AMOUNT_UNPARSABLE))
    checks = [
        (pl.col("settlement").is_null(), REQUIRED_VALUE_MISSING),
        (pl.col("_id_reason").is_not_null(), pl.col("_id_reason")),
        *_code_checks("insurance_type", "insurance_code"),
        *_code_checks("care_type", "care_code"),
        *_date_checks("settlement_date", "settled_on", as_of, required=True),
        *amount_checks,
        (county.is_null(), REQUIRED_VALUE_MISSING),
        (~county.is_in(COUNTY_CODES), OUTSIDE_CITY),
    ]
    return frame.with_columns(_reason=_reason_with_id(checks)).collect()


def normalise_disability(raw: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    town, town_checks = _town()
    frame = _start(
        raw,
        as_of,
        category_code=map_code(pl.col("category"), s.DISABILITY_CATEGORY),
        grade_code=map_code(pl.col("grade"), s.DISABILITY_GRADE),
        issued_on=parse_date(pl.col("issue_date"), _serial_ok()),
        state_code=map_code(pl.col("certificate_state"), s.CERTIFICATE_STATE),
        living_code=map_code(pl.col("living_subsidy"), s.YES_NO),
        care_code=map_code(pl.col("care_subsidy"), s.YES_NO),
    ).with_columns(
        # cleaned as an identity number is: it embeds one (and full-width forms, spaces, x)
        certificate=identity.clean(pl.col("certificate_no")),
        town=town,
    )
    checks = [
        (pl.col("certificate").is_null(), REQUIRED_VALUE_MISSING),
        (pl.col("_id_reason").is_not_null(), pl.col("_id_reason")),
        *_code_checks("category", "category_code"),
        *_code_checks("grade", "grade_code"),
        *_date_checks("issue_date", "issued_on", as_of, required=True),
        *_code_checks("certificate_state", "state_code"),
        *_code_checks("living_subsidy", "living_code"),
        *_code_checks("care_subsidy", "care_code"),
        *town_checks,
    ]
    return frame.with_columns(_reason=_reason_with_id(checks)).collect()


def normalise_lowincome(raw: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    town, town_checks = _town()
    frame = _start(
        raw,
        as_of,
        relation_code=map_code(pl.col("relation"), s.LOWINCOME_RELATION),
        category_code=map_code(pl.col("category"), s.ASSISTANCE_CATEGORY),
        status_code=map_code(pl.col("status"), s.COVER_STATUS),
        enrolled_on=parse_date(pl.col("enrol_date"), _serial_ok()),
        stopped_on=parse_date(pl.col("stop_date"), _serial_ok()),
        benefit_fen=fen_parser(pl.col("monthly_benefit")),
        size=parse_int(pl.col("household_size")),
        income_fen=fen_parser(pl.col("income_per_head")),
        work_code=map_code(pl.col("work_ability"), s.WORK_ABILITY),
        self_care_code=map_code(pl.col("self_care"), s.SELF_CARE),
        reviewed_on=parse_date(pl.col("last_review_date"), _serial_ok()),
    ).with_columns(household=stripped(pl.col("household_id")), town=town)
    checks = [
        (pl.col("_id_reason").is_not_null(), pl.col("_id_reason")),
        (pl.col("household").is_null(), REQUIRED_VALUE_MISSING),
        *_code_checks("relation", "relation_code"),
        *_code_checks("category", "category_code"),
        *_code_checks("status", "status_code"),
        *_date_checks("enrol_date", "enrolled_on", as_of, required=True),
        *_date_checks("stop_date", "stopped_on", as_of, required=False),
        (is_blank(pl.col("monthly_benefit")), REQUIRED_VALUE_MISSING),
        (pl.col("benefit_fen").is_null(), AMOUNT_UNPARSABLE),
        (is_blank(pl.col("household_size")), REQUIRED_VALUE_MISSING),
        (pl.col("size").is_null() | (pl.col("size") < 1), AMOUNT_UNPARSABLE),
        (is_blank(pl.col("income_per_head")), REQUIRED_VALUE_MISSING),
        (pl.col("income_fen").is_null(), AMOUNT_UNPARSABLE),
        *_code_checks("work_ability", "work_code", required=False),
        *_code_checks("self_care", "self_care_code", required=False),
        *_date_checks("last_review_date", "reviewed_on", as_of, required=False),
        *town_checks,
    ]
    return frame.with_columns(_reason=_reason_with_id(checks)).collect()


def _reason_with_id(checks: list[tuple[pl.Expr, str | pl.Expr]]) -> pl.Expr:
    """The first failing check's reason; an absurdly long cell fails before anything else."""
    too_long = (
        pl.max_horizontal(pl.col(pl.String).exclude("^_.*$").str.len_bytes()) > MAX_CELL_BYTES
    )
    chain = pl.when(too_long).then(pl.lit(VALUE_TOO_LONG))
    for condition, reason in checks:
        value = reason if isinstance(reason, pl.Expr) else pl.lit(reason)
        chain = chain.when(condition).then(value)
    return chain.otherwise(pl.lit(None, dtype=pl.String))


NORMALISERS = {
    "hukou": normalise_hukou,
    "medical": normalise_medical,
    "disability": normalise_disability,
    "lowincome": normalise_lowincome,
}
