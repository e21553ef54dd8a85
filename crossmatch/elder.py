"""The elder-care rules of rules.md (尊老金, 护理补贴, 探访关爱, payments after death), and the
per-person facts the `elder_care_coverage` mart counts: each rule is a filter over the
facts of its population, so the mart's gaps and the leads are the same people."""

from __future__ import annotations

import polars as pl

from crossmatch.context import Context, age_at, leads, yuan
from crossmatch.placement import placed

ALLOWANCE, CARE, ASSESSMENT, VISIT = "尊老金", "护理补贴", "能力评估", "探访关爱"


def month_index(day: pl.Expr) -> pl.Expr:
    return day.dt.year().cast(pl.Int32) * 12 + day.dt.month().cast(pl.Int32)


def _services(ctx: Context, service: str) -> pl.DataFrame:
    return ctx.inputs.eldercare.filter(pl.col("service") == service)


def _paying(ctx: Context, service: str) -> pl.DataFrame:
    """People with a row of `service` 在发 (one row per person and service, ingest's rule)."""
    return _services(ctx, service).filter(pl.col("status") == "在发")


def _alive(frame: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    return frame.join(ctx.deceased, on="person_key", how="anti")


def _has(frame: pl.DataFrame, others: pl.DataFrame, name: str) -> pl.DataFrame:
    """`frame` with a boolean column `name`: is the person among `others`?"""
    flagged = others.select("person_key").unique().with_columns(pl.lit(True).alias(name))
    return frame.join(flagged, on="person_key", how="left").with_columns(
        pl.col(name).fill_null(False)
    )


def _birthday(birth: pl.Expr, years: int) -> pl.Expr:
    """The day someone turns `years`: for a 29 February birth, 1 March in a common year
    (as `age_at` counts: not yet a year older on 28 February)."""
    day = birth.dt.offset_by(f"{years}y")
    leap_born = (birth.dt.month() == 2) & (birth.dt.day() == 29)
    return pl.when(leap_born & (day.dt.day() == 28)).then(day + pl.duration(days=1)).otherwise(day)


# --- populations: who each rule considers, with the facts it weighs ------------------------


def aged(ctx: Context) -> pl.DataFrame:
    """The `正常`, living people of the hukou aged ELDER_ALLOWANCE_MISSING's age or more: their
    birthday, their 尊老金 (paid? stopped when?) and their latest 能力评估."""
    spec = ctx.rule("ELDER_ALLOWANCE_MISSING")
    as_of = ctx.inputs.as_of
    people = _alive(
        ctx.inputs.hukou.lazy()  # the register's other columns are never copied
        .filter(pl.col("status") == "正常")
        .select("person_key", "id_birth_date", age=age_at(pl.col("id_birth_date"), as_of))
        .filter(pl.col("age") >= spec["age"])
        .collect(),
        ctx,
    ).with_columns(birthday=_birthday(pl.col("id_birth_date"), spec["age"]))
    stopped = (
        _services(ctx, ALLOWANCE)
        .filter(pl.col("status") == "停发")
        .group_by("person_key")
        .agg(stopped_on=pl.col("stop_date").max())
    )
    months = ctx.config.raw["elder_care_coverage"]["assessment_months"]
    window_start = pl.lit(as_of).dt.offset_by(f"-{months}mo")  # a date after as_of counts too
    assessed = _services(ctx, ASSESSMENT).filter(pl.col("last_date") > window_start)
    people = _has(people, _paying(ctx, ALLOWANCE), "has_allowance")
    return _has(people, assessed, "assessed_recently").join(stopped, on="person_key", how="left")


def care_considered(ctx: Context) -> pl.DataFrame:
    """ELDER_CARE_SUBSIDY_MISSING's people: aged `min_age` or more, covered in one of its
    categories, *dependent for care*, living; with their 护理补贴 and the disability care
    subsidy (the two do not stack)."""
    spec = ctx.rule("ELDER_CARE_SUBSIDY_MISSING")
    members = (
        ctx.inputs.lowincome.filter(
            (pl.col("status") == "在保") & pl.col("category").is_in(spec["categories"])
        )
        .with_columns(age=age_at(pl.col("id_birth_date"), ctx.inputs.as_of))
        .filter(pl.col("age") >= spec["min_age"])
        .sort("category", "household_id")
        .unique("person_key", keep="first", maintain_order=True)
        .select("person_key", "age", "category", "household_id")
        .join(ctx.dependent, on="person_key")
    )
    disability_care = ctx.counting_certificates.filter(pl.col("care_subsidy"))
    members = _has(_alive(members, ctx), _paying(ctx, CARE), "has_elder_care")
    return _has(members, disability_care, "has_disability_care")


def special_difficulty(ctx: Context) -> pl.DataFrame:
    """ELDER_VISIT_OVERDUE's people (elderly in special difficulty): `正常`, living, aged
    `min_age` or more, living alone or only with people of that age, covered or *dependent
    for care*; with their latest 探访关爱 visit.

    People share a household when `正常`, living, in the same non-blank 户号; a 户号 of more
    than `collective_size` such people is a care home, where nobody lives alone. Someone
    with a blank 户号 shares one with nobody: they live alone."""
    spec = ctx.rule("ELDER_VISIT_OVERDUE")
    living = _alive(
        ctx.inputs.hukou.lazy()  # the register's other columns are never copied
        .filter(pl.col("status") == "正常")
        .select(
            "person_key",
            household=pl.col("household_no").str.strip_chars().replace("", None),
            age=age_at(pl.col("id_birth_date"), ctx.inputs.as_of),
        )
        .collect(),
        ctx,
    )
    households = (
        living.filter(pl.col("household").is_not_null())
        .group_by("household")
        .agg(size=pl.len(), younger=(pl.col("age") < spec["min_age"]).sum())
    )
    people = (
        living.filter(pl.col("age") >= spec["min_age"])
        .join(households, on="household", how="left")
        .with_columns(pl.col("size").fill_null(1), pl.col("younger").fill_null(0))
        .with_columns(
            alone=pl.col("size") == 1,
            only_elderly=(pl.col("size") > 1)
            & (pl.col("size") <= spec["collective_size"])
            & (pl.col("younger") == 0),
        )
        .filter(pl.col("alone") | pl.col("only_elderly"))
    )
    covered = (
        ctx.inputs.lowincome.filter(pl.col("status") == "在保")
        .sort("category")
        .group_by("person_key")
        .agg(covered_category=pl.col("category").first())
    )
    people = (
        people.join(covered, on="person_key", how="left")
        .join(ctx.dependent, on="person_key", how="left")
        .filter(pl.col("covered_category").is_not_null() | pl.col("dependent_reason").is_not_null())
    )
    visits = _services(ctx, VISIT).group_by("person_key").agg(last_visit=pl.col("last_date").max())
    start = ctx.inputs.as_of.replace(day=1)
    return (
        people.join(visits, on="person_key", how="left")
        .with_columns(
            visited=pl.col("last_visit") >= pl.lit(start)  # a visit dated after as_of counts too
        )
        .with_columns(pl.col("visited").fill_null(False))
    )


# --- the rules ----------------------------------------------------------------------------


def _monthly_allowance(age: pl.Expr, bands: dict[str, float]) -> pl.Expr:
    """Fen per month for the age band: `bands` maps each band's first age to its yuan."""
    chain = None
    for first_age, amount in sorted(bands.items(), key=lambda kv: -int(kv[0])):
        fen = pl.lit(round(amount * 100), dtype=pl.Int64)
        test = age >= int(first_age)
        chain = pl.when(test).then(fen) if chain is None else chain.when(test).then(fen)
    return chain.otherwise(pl.lit(0, dtype=pl.Int64))


def elder_allowance_missing(ctx: Context) -> pl.DataFrame:
    spec = ctx.rule("ELDER_ALLOWANCE_MISSING")
    period_index = ctx.inputs.as_of.year * 12 + ctx.inputs.as_of.month
    from_index = pl.max_horizontal(
        month_index(pl.col("birthday")) + 1, month_index(pl.col("stopped_on")) + 1
    )
    hits = (
        ctx.once(aged)
        .filter(~pl.col("has_allowance"))
        .with_columns(monthly_fen=_monthly_allowance(pl.col("age"), spec["monthly_yuan_from_age"]))
        .with_columns(
            months=(pl.lit(period_index) - from_index + 1).clip(0, spec["back_pay_months"])
        )
    )
    stopped = pl.when(pl.col("stopped_on").is_not_null()).then(
        pl.format("（{}停发）", pl.col("stopped_on").dt.strftime("%Y-%m-%d"))
    )
    evidence = pl.concat_str(
        pl.col("birthday").dt.strftime("%Y-%m-%d"),
        pl.lit(f" 满{spec['age']}周岁，现"),
        pl.col("age").cast(pl.String),
        pl.lit("周岁，无在发尊老金"),
        stopped.otherwise(pl.lit("")),
        pl.lit("；按年龄段每月 "),
        yuan(pl.col("monthly_fen")),
        pl.lit(" 元，应补发 "),
        pl.col("months").cast(pl.String),
        pl.format(" 个月（至多{}个月），计 ", pl.lit(spec["back_pay_months"])),
        yuan(pl.col("months") * pl.col("monthly_fen")),
        pl.lit(" 元"),
    )
    return leads(hits, "ELDER_ALLOWANCE_MISSING", ctx, evidence)


def elder_care_subsidy_missing(ctx: Context) -> pl.DataFrame:
    hits = ctx.once(care_considered).filter(
        ~pl.col("has_elder_care") & ~pl.col("has_disability_care")
    )
    evidence = pl.concat_str(
        pl.col("age").cast(pl.String),
        pl.lit("周岁，"),
        pl.col("category"),
        pl.lit("在保，"),
        pl.col("dependent_reason"),
        pl.lit("；未领取经济困难失能老年人护理补贴，也未享受重度残疾人护理补贴"),
    )
    return leads(
        hits, "ELDER_CARE_SUBSIDY_MISSING", ctx, evidence, household_id=pl.col("household_id")
    )


def elder_visit_overdue(ctx: Context) -> pl.DataFrame:
    spec = ctx.rule("ELDER_VISIT_OVERDUE")
    hits = ctx.once(special_difficulty).filter(~pl.col("visited"))
    living = (
        pl.when(pl.col("alone"))
        .then(pl.lit("独居"))
        .otherwise(pl.format("仅与{}名60周岁以上老人同住", pl.col("size") - 1))
    )
    why = pl.concat_str(
        pl.when(pl.col("covered_category").is_not_null()).then(
            pl.concat_str(pl.col("covered_category"), pl.lit("在保"))
        ),
        pl.col("dependent_reason"),
        separator="，",
        ignore_nulls=True,
    )
    visit = (
        pl.when(pl.col("last_visit").is_null())
        .then(pl.lit("无探访关爱记录"))
        .otherwise(
            pl.format(
                "最近一次探访关爱 {}，本月未探访", pl.col("last_visit").dt.strftime("%Y-%m-%d")
            )
        )
    )
    evidence = pl.concat_str(
        pl.col("age").cast(pl.String),
        pl.lit("周岁，"),
        living,
        pl.lit("，"),
        why,
        pl.lit("；"),
        visit,
    )
    priority = (
        pl.when(pl.col("alone") & pl.col("dependent_reason").is_not_null())
        .then(pl.lit(spec["alone_dependent_priority"]))
        .otherwise(pl.lit(spec["priority"]))
    )
    return leads(hits, "ELDER_VISIT_OVERDUE", ctx, evidence, priority=priority)


def deceased_still_paid(ctx: Context) -> pl.DataFrame:
    """Runs on what exists: the elder-services payments only once that source is delivered."""
    as_of = ctx.inputs.as_of
    deaths = ctx.deceased
    running = [
        ctx.counting_certificates.join(deaths, on="person_key")
        .filter(pl.col(column))
        .select("person_key", "death_date", "death_text", order=pl.lit(order), text=pl.lit(text))
        for column, order, text in (
            ("living_subsidy", 3, "困难残疾人生活补贴（残联记录）"),
            ("care_subsidy", 4, "重度残疾人护理补贴（残联记录）"),
        )
    ]
    if ctx.inputs.eldercare is not None:
        months = (as_of.year * 12 + as_of.month) - month_index(pl.col("death_date"))
        paid = (
            ctx.inputs.eldercare.filter(
                pl.col("service").is_in([ALLOWANCE, CARE]) & (pl.col("status") == "在发")
            )
            .join(deaths, on="person_key")
            .with_columns(months=months)
        )
        running.append(
            paid.select(
                "person_key",
                "death_date",
                "death_text",
                order=pl.when(pl.col("service") == ALLOWANCE).then(1).otherwise(2),
                text=pl.concat_str(
                    pl.col("service"),
                    pl.format("（死亡后已发放 {} 个月，按月 ", pl.col("months")),
                    yuan(pl.col("monthly_fen")),
                    pl.lit(" 元计多发 "),
                    yuan(pl.col("months") * pl.col("monthly_fen")),
                    pl.lit(" 元）"),
                ),
            )
        )
    payments = (
        pl.concat([r.cast({"order": pl.Int32}) for r in running])
        .unique(["person_key", "order"])
        .sort("person_key", "order")
        .group_by("person_key", maintain_order=True)
        .agg(
            pl.col("death_text").first(),
            running=pl.col("text").str.join("、"),
        )
    )
    evidence = pl.concat_str(pl.col("death_text"), pl.lit("；仍在发放："), pl.col("running"))
    return leads(payments, "DECEASED_STILL_PAID", ctx, evidence)


# --- the mart's facts ---------------------------------------------------------------------

COVERAGE_SCHEMA = {
    "person_key": pl.Int64,
    "county_code": pl.String,
    "town_code": pl.String,
    "aged_80_plus": pl.Boolean,
    "has_allowance": pl.Boolean,
    "assessed_recently": pl.Boolean,
    "care_considered": pl.Boolean,
    "has_care_support": pl.Boolean,
    "special_difficulty": pl.Boolean,
    "visited_in_period": pl.Boolean,
}


def coverage_people(ctx: Context, visits_known: bool) -> pl.DataFrame:
    """One row per person in any elder rule's population, with what the mart counts; where
    the case is handled as for a lead. `visited_in_period` is null without a delivery of the
    period's own (visits are known only from a fresh snapshot)."""
    aged_ = ctx.once(aged).select(
        "person_key", "has_allowance", "assessed_recently", aged_80_plus=pl.lit(True)
    )
    care = ctx.once(care_considered).select(
        "person_key",
        care_considered=pl.lit(True),
        has_care_support=pl.col("has_elder_care") | pl.col("has_disability_care"),
    )
    special = ctx.once(special_difficulty).select(
        "person_key",
        special_difficulty=pl.lit(True),
        visited_in_period=pl.col("visited") if visits_known else pl.lit(None, dtype=pl.Boolean),
    )
    people = pl.concat([f.select("person_key") for f in (aged_, care, special)]).unique()
    facts = (
        people.join(aged_, on="person_key", how="left")
        .join(care, on="person_key", how="left")
        .join(special, on="person_key", how="left")
        .with_columns(
            pl.col("aged_80_plus", "care_considered", "special_difficulty").fill_null(False),
            town_code=pl.lit(None, dtype=pl.String),
            household_id=pl.lit(None, dtype=pl.String),
        )
    )
    return placed(facts, ctx).select(list(COVERAGE_SCHEMA)).cast(COVERAGE_SCHEMA).sort("person_key")
