"""Hand-written rule inputs: small pseudonymous tables with sensible defaults."""

from __future__ import annotations

import datetime as dt

import polars as pl

from crossmatch import medical
from crossmatch.inputs import Inputs, window_days
from doudi_core.config import load_config
from doudi_core.period import as_of

PERIOD = "2026-10"
MEDICAL_WINDOWS = window_days(load_config())  # the window lengths the rules read
AS_OF = as_of(PERIOD)
TOWN = "321302001"


def hukou(*rows: dict) -> pl.DataFrame:
    base = {
        "period": PERIOD,
        "name_key": 1,
        "sex": "男",
        "household_no": "H1",
        "relation": "户主",
        "father_key": None,
        "mother_key": None,
        "town_code": TOWN,
        "county_code": TOWN[:6],
        "status": "正常",
        "status_date": None,
        "id_birth_date": dt.date(1980, 1, 1),
        "id_sex": "男",
    }
    return pl.DataFrame(
        [{**base, **r} for r in rows],
        schema_overrides={
            "father_key": pl.Int64,
            "mother_key": pl.Int64,
            "status_date": pl.Date,
            "person_key": pl.Int64,
        },
    )


def lowincome(*rows: dict) -> pl.DataFrame:
    base = {
        "period": PERIOD,
        "household_id": "F1",
        "name_key": 1,
        "relation": "本人",
        "category": "低保",
        "status": "在保",
        "enrol_date": dt.date(2020, 1, 1),
        "stop_date": None,
        "benefit_fen": 60_000,
        "household_size": 1,
        "income_fen": 40_000,
        "work_ability": "无",
        "self_care": "全自理",
        "last_review_date": AS_OF,
        "town_code": TOWN,
        "county_code": TOWN[:6],
        "village": "新庄村",
        "id_birth_date": dt.date(1960, 1, 1),
        "id_sex": "男",
    }
    return pl.DataFrame(
        [{**base, **r} for r in rows],
        schema_overrides={
            "stop_date": pl.Date,
            "last_review_date": pl.Date,
            "person_key": pl.Int64,
        },
    )


def disability(*rows: dict) -> pl.DataFrame:
    base = {
        "period": PERIOD,
        "certificate_key": 0,
        "category": "肢体",
        "grade": "一级",
        "issue_date": dt.date(2020, 1, 1),
        "certificate_state": "有效",
        "living_subsidy": True,
        "care_subsidy": True,
        "town_code": TOWN,
        "county_code": TOWN[:6],
        "certificate_consistent": True,
        "id_birth_date": dt.date(1980, 1, 1),
        "id_sex": "男",
    }
    return pl.DataFrame([{**base, **r} for r in rows], schema_overrides={"person_key": pl.Int64})


def settlements(*rows: dict) -> pl.DataFrame:
    base = {
        "delivery_period": PERIOD,
        "settlement_id": "s",
        "oop_fen": 0,
        "reverses_id": None,
        "insurance_type": "城乡居民基本医疗保险",
        "care_type": "住院",
        "hospital": "医院",
        "settlement_date": dt.date(2026, 10, 1),
        "total_fen": 0,
        "fund_fen": 0,
        "critical_fen": 0,
        "assistance_fen": 0,
        "insured_county_code": TOWN[:6],
    }
    return pl.DataFrame(
        [{**base, **r} for r in rows],
        schema_overrides={"reverses_id": pl.String, "person_key": pl.Int64},
    )


def eldercare(*rows: dict) -> pl.DataFrame:
    base = {
        "period": PERIOD,
        "service": "尊老金",
        "status": "在发",
        "start_date": dt.date(2020, 1, 1),
        "stop_date": None,
        "monthly_fen": 5_000,
        "last_date": None,
        "assessment_grade": None,
        "town_code": TOWN,
        "county_code": TOWN[:6],
    }
    return pl.DataFrame(
        [{**base, **r} for r in rows],
        schema_overrides={
            "person_key": pl.Int64,
            "stop_date": pl.Date,
            "last_date": pl.Date,
            "assessment_grade": pl.String,
            "status": pl.String,
        },
    )


def funeral(*rows: dict) -> pl.DataFrame:
    base = {
        "case_no": None,
        "death_date": dt.date(2026, 10, 10),
        "funeral_home": "宿迁市殡仪馆",
        "fee_waived": False,
    }
    frame = pl.DataFrame(
        [{**base, **r} for r in rows],
        schema_overrides={"person_key": pl.Int64, "case_no": pl.String},
    )
    return frame.with_columns(
        case_no=pl.coalesce("case_no", pl.format("BZ{}", pl.col("person_key")))
    )


def empty_like(frame_fn) -> pl.DataFrame:
    return frame_fn({"person_key": 0}).clear()


def inputs(
    *,
    hukou_rows=(),
    lowincome_rows=(),
    disability_rows=(),
    settlement_rows=(),
    invalid=None,
    eldercare_rows=None,
    eldercare_period: str | None = None,
    funeral_rows=None,
    funeral_member_rows=None,
    period: str = PERIOD,
) -> Inputs:
    """`eldercare_rows=None`: the source never delivered; a list (even empty): the snapshot
    delivered in `eldercare_period` (the period itself unless given). Likewise
    `funeral_rows`; the funeral records' people's low-income rows are `funeral_member_rows`,
    else theirs in `lowincome_rows`."""

    def build(fn, rows):
        return fn(*rows) if rows else empty_like(fn)

    low = build(lowincome, lowincome_rows)
    paid = build(settlements, settlement_rows)
    records = None if funeral_rows is None else build(funeral, funeral_rows)
    members = (
        build(lowincome, funeral_member_rows)
        if funeral_member_rows is not None
        else low.filter(pl.col("person_key").is_in(records["person_key"].implode()))
        if records is not None
        else None
    )
    return Inputs(
        period=period,
        as_of=as_of(period),
        hukou=build(hukou, hukou_rows),
        disability=build(disability, disability_rows),
        lowincome=low,
        lowincome_invalid=invalid
        if invalid is not None
        else low.clear().with_columns(reason=pl.lit(None, dtype=pl.String)),
        medical={days: medical.totals(paid, as_of(period), days) for days in MEDICAL_WINDOWS},
        medical_counties=medical.latest_counties(paid),
        eldercare=None if eldercare_rows is None else build(eldercare, eldercare_rows),
        funeral=records,
        funeral_members=members,
        deliveries={
            "eldercare": None if eldercare_rows is None else (eldercare_period or period),
            "funeral": None if funeral_rows is None else period,
        },
    )
