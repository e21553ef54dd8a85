"""The early-warning rules of rules.md: one small function each, tables in, leads out (the
elder-care ones in `crossmatch.elder`), and the registry that runs a period's rules.

Every rule returns the same columns (`LEAD_COLUMNS`): which rule, whose
situation (pseudonym only), its default priority, and one Chinese sentence of
evidence with the figures that raised it. Where a case is handled is decided
afterwards, the same way for every rule (`place`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from crossmatch import deaths, elder
from crossmatch.context import LEAD_COLUMNS, Context, age_at, leads, yuan
from crossmatch.inputs import Inputs
from crossmatch.placement import place
from doudi_core.config import Config


def med_oop_uncovered(ctx: Context) -> pl.DataFrame:
    spec = ctx.rule("MED_OOP_UNCOVERED")
    oop = ctx.oop(spec["window_days"])
    hits = oop.filter(pl.col("oop_fen") >= int(spec["threshold_yuan"] * 100)).join(
        ctx.covered, on="person_key", how="anti"
    )
    evidence = pl.concat_str(
        pl.lit("近12个月医保个人自付合计 "),
        yuan(pl.col("oop_fen")),
        pl.lit(" 元（住院"),
        pl.col("inpatient_stays").cast(pl.String),
        pl.lit("次），未在保"),
    )
    return leads(hits, "MED_OOP_UNCOVERED", ctx, evidence, oop_fen=pl.col("oop_fen"))


def med_oop_below_line(ctx: Context) -> pl.DataFrame:
    spec = ctx.rule("MED_OOP_BELOW_LINE")
    standards = pl.DataFrame(
        {
            "household_county": list(ctx.config.county_figures("dibao_standard_yuan")),
            "standard_fen": [
                round(v * 100) for v in ctx.config.county_figures("dibao_standard_yuan").values()
            ],
        }
    )
    members = ctx.inputs.lowincome.select("household_id", "person_key")
    spend = (
        members.join(ctx.oop(spec["window_days"]), on="person_key", how="inner")
        .group_by("household_id")
        .agg(household_oop_fen=pl.col("oop_fen").sum())
    )
    after = pl.col("income_fen") - pl.col("household_oop_fen") / 12 / pl.col("household_size")
    hits = (
        ctx.households.filter(
            pl.col("in_care") & pl.col("household_category").is_in(spec["categories"])
        )
        .join(spend, on="household_id")
        .join(standards, on="household_county")
        .with_columns(after_fen=after)
        .filter(pl.col("after_fen") < pl.col("standard_fen"))
        .rename({"applicant_key": "person_key"})
        .filter(pl.col("person_key").is_not_null())  # nobody living to put it on
    )
    evidence = pl.concat_str(
        pl.col("household_category"),
        pl.lit("家庭月人均收入 "),
        yuan(pl.col("income_fen")),
        pl.lit(" 元，近12个月家庭医保个人自付 "),
        yuan(pl.col("household_oop_fen")),
        pl.lit(" 元，扣除后人均 "),
        yuan(pl.col("after_fen").round(0).cast(pl.Int64)),
        pl.lit(" 元，低于低保标准 "),
        yuan(pl.col("standard_fen")),
        pl.lit(" 元"),
    )
    return leads(
        hits,
        "MED_OOP_BELOW_LINE",
        ctx,
        evidence,
        oop_fen=pl.col("household_oop_fen"),
        household_id=pl.col("household_id"),
    )


def _certificate_text() -> pl.Expr:
    return pl.concat_str(pl.col("category"), pl.col("grade"))


def dis_severe_uncovered(ctx: Context) -> pl.DataFrame:
    spec = ctx.rule("DIS_SEVERE_UNCOVERED")
    hits = ctx.counting_certificates.filter(pl.col("grade").is_in(spec["grades"])).join(
        ctx.covered, on="person_key", how="anti"
    )
    evidence = pl.concat_str(pl.lit("残联持证："), _certificate_text(), pl.lit("（有效），未在保"))
    return leads(hits.sort("grade"), "DIS_SEVERE_UNCOVERED", ctx, evidence)


def dis_living_subsidy_missing(ctx: Context) -> pl.DataFrame:
    spec = ctx.rule("DIS_LIVING_SUBSIDY_MISSING")
    households = ctx.households.filter(
        pl.col("in_care") & pl.col("household_category").is_in(spec["categories"])
    )
    members = ctx.inputs.lowincome.filter(
        ~pl.col("category").is_in(spec["excluded_member_categories"])
    ).join(households.select("household_id", "household_category"), on="household_id")
    hits = members.select("person_key", "household_id", "household_category").join(
        ctx.counting_certificates.filter(~pl.col("living_subsidy")), on="person_key"
    )
    evidence = pl.concat_str(
        pl.col("household_category"),
        pl.lit("家庭成员，持"),
        _certificate_text(),
        pl.lit("残疾证（有效），残联记录未享受困难残疾人生活补贴"),
    )
    return leads(
        hits, "DIS_LIVING_SUBSIDY_MISSING", ctx, evidence, household_id=pl.col("household_id")
    )


def dis_care_subsidy_missing(ctx: Context) -> pl.DataFrame:
    spec = ctx.rule("DIS_CARE_SUBSIDY_MISSING")
    eligible = pl.col("grade").is_in(spec["grades"]) | (
        (pl.col("grade") == "三级") & pl.col("category").is_in(spec["grade_three_categories"])
    )
    hits = ctx.counting_certificates.filter(eligible & ~pl.col("care_subsidy"))
    evidence = pl.concat_str(
        pl.lit("残联持证："), _certificate_text(), pl.lit("（有效），未享受重度残疾人护理补贴")
    )
    return leads(hits, "DIS_CARE_SUBSIDY_MISSING", ctx, evidence)


def _on_roll(ctx: Context) -> pl.DataFrame:
    hukou = ctx.inputs.hukou.select(
        "person_key", pl.col("status").alias("hukou_status"), "status_date"
    )
    return ctx.inputs.lowincome.filter(pl.col("status") == "在保").join(hukou, on="person_key")


def deceased_on_roll(ctx: Context) -> pl.DataFrame:
    as_of = ctx.inputs.as_of
    hits = ctx.inputs.lowincome.filter(pl.col("status") == "在保").join(
        ctx.deceased, on="person_key"
    )
    months = (as_of.year * 12 + as_of.month) - (
        pl.col("death_date").dt.year() * 12 + pl.col("death_date").dt.month()
    )
    hits = hits.with_columns(months=months, overpaid=months * pl.col("benefit_fen"))
    evidence = pl.concat_str(
        pl.col("death_text"),
        pl.lit("；"),
        pl.col("category"),
        pl.lit("仍在保，死亡后已发放 "),
        pl.col("months").cast(pl.String),
        pl.lit(" 个月，按月保障金额 "),
        yuan(pl.col("benefit_fen")),
        pl.lit(" 元计多发 "),
        yuan(pl.col("overpaid")),
        pl.lit(" 元"),
    )
    return leads(hits, "DECEASED_ON_ROLL", ctx, evidence, household_id=pl.col("household_id"))


def moved_out_on_roll(ctx: Context) -> pl.DataFrame:
    hits = _on_roll(ctx).filter(pl.col("hukou_status") == "迁出")
    date = pl.coalesce(pl.col("status_date").dt.strftime("%Y-%m-%d"), pl.lit("日期不详"))
    evidence = pl.concat_str(
        pl.lit("公安户籍："), date, pl.lit(" 迁出；"), pl.col("category"), pl.lit("仍在保")
    )
    return leads(hits, "MOVED_OUT_ON_ROLL", ctx, evidence, household_id=pl.col("household_id"))


INVALID_TEXT = {
    "ID_MISSING": "身份号码为空",
    "ID_MALFORMED": "身份号码位数或字符不符合规范",
    "ID_BAD_CHECK_DIGIT": "身份号码校验位错误",
    "ID_BAD_BIRTH_DATE": "身份号码中的出生日期无效",
    "ID_UNKNOWN_PROVINCE": "身份号码的省级行政区划代码不存在",
}


def identity_mismatch(ctx: Context) -> pl.DataFrame:
    hukou = ctx.inputs.hukou.select("person_key", pl.col("name_key").alias("hukou_name_key"))
    members = ctx.inputs.lowincome.join(hukou, on="person_key", how="left")
    missing = members.filter(pl.col("hukou_name_key").is_null())
    renamed = members.filter(
        pl.col("hukou_name_key").is_not_null() & (pl.col("name_key") != pl.col("hukou_name_key"))
    )
    invalid = ctx.inputs.lowincome_invalid.filter(pl.col("person_key").is_not_null())
    parts = [
        leads(
            invalid,
            "IDENTITY_MISMATCH",
            ctx,
            pl.concat_str(
                pl.lit("低收入人口数据库："),
                pl.col("reason").replace_strict(INVALID_TEXT, default="身份号码无效"),
            ),
            household_id=pl.col("household_id"),
            town_code=pl.col("town_code"),
        ),
        leads(
            missing,
            "IDENTITY_MISMATCH",
            ctx,
            pl.lit("低收入人口数据库的身份号码在公安户籍中未找到"),
            household_id=pl.col("household_id"),
        ),
        leads(
            renamed,
            "IDENTITY_MISMATCH",
            ctx,
            pl.lit("低收入人口数据库的姓名与公安户籍登记姓名不一致"),
            household_id=pl.col("household_id"),
        ),
    ]
    return pl.concat(parts).unique(["rule_code", "person_key"], keep="first", maintain_order=True)


PARENT_STATUSES = ["服刑在押", "失踪", "死亡"]  # the hukou statuses CHILD_UNSUPPORTED weighs


def child_unsupported(ctx: Context) -> pl.DataFrame:
    spec = ctx.rule("CHILD_UNSUPPORTED")
    as_of = ctx.inputs.as_of
    hukou = ctx.inputs.hukou.lazy()  # the register's other columns are never copied
    heads = hukou.filter(pl.col("relation").is_in(["户主", "配偶"])).select(
        "household_no", "person_key", "id_sex"
    )
    by_household = heads.group_by("household_no").agg(
        household_father=pl.col("person_key").filter(pl.col("id_sex") == "男").first(),
        household_mother=pl.col("person_key").filter(pl.col("id_sex") == "女").first(),
    )
    protected = (
        ctx.inputs.lowincome.lazy()
        .filter(
            (pl.col("status") == "在保") & pl.col("category").is_in(spec["protected_categories"])
        )
        .select("person_key")
    )
    children = (
        hukou.filter(
            (pl.col("status") == "正常")
            & (age_at(pl.col("id_birth_date"), as_of) < spec["adult_age"])
        )
        .join(protected, on="person_key", how="anti")
        .join(by_household, on="household_no", how="left")
        .with_columns(
            father=pl.coalesce(
                "father_key",
                pl.when(pl.col("relation").is_in(["子", "女"])).then("household_father"),
            ),
            mother=pl.coalesce(
                "mother_key",
                pl.when(pl.col("relation").is_in(["子", "女"])).then("household_mother"),
            ),
        )
        .filter(pl.col("father").is_not_null() & pl.col("mother").is_not_null())
        .select("person_key", "father", "mother")
        .collect()
    )
    facts = _parent_facts(ctx, spec)
    for parent in ("father", "mother"):
        children = children.join(
            facts.rename({c: f"{parent}_{c}" for c in facts.columns if c != "person_key"}),
            left_on=parent,
            right_on="person_key",
            how="left",
        ).with_columns(
            pl.col(f"{parent}_unable", f"{parent}_gone", f"{parent}_dead").fill_null(False)
        )
    both_unable = pl.col("father_unable") & pl.col("mother_unable")
    one_gone = (pl.col("father_gone") & pl.col("mother_unable")) | (
        pl.col("mother_gone") & pl.col("father_unable")
    )
    both_dead = pl.col("father_dead") & pl.col("mother_dead")
    hits = children.filter(both_unable | one_gone | both_dead)
    evidence = (
        pl.when(both_dead)
        .then(pl.lit("疑似孤儿：公安户籍父母均已死亡"))
        .otherwise(
            pl.concat_str(
                pl.lit("父亲："),
                pl.col("father_reason").fill_null("—"),
                pl.lit("；母亲："),
                pl.col("mother_reason").fill_null("—"),
            )
        )
    )
    return leads(hits, "CHILD_UNSUPPORTED", ctx, evidence)


def _parent_facts(ctx: Context, spec: dict) -> pl.DataFrame:
    """Per person: unable to support (and why), gone (死亡/失踪), dead. Only people with one
    of these facts have a row: for anyone else all three are false (six million in a city)."""
    dead = ctx.deceased.select("person_key", dead=pl.lit(True))  # counts as 死亡 (rules.md)
    status = (
        ctx.inputs.hukou.filter(pl.col("status").is_in(PARENT_STATUSES))
        .select("person_key", "status")
        .join(dead, on="person_key", how="full", coalesce=True)
        .select("person_key", status=pl.when("dead").then(pl.lit("死亡")).otherwise("status"))
    )
    cert = (
        ctx.counting_certificates.filter(
            pl.col("grade").is_in(spec["unable_grades"])
            | (
                pl.col("grade").is_in(spec["unable_mental_grades"])
                & pl.col("category").is_in(spec["unable_mental_categories"])
            )
        )
        .sort("grade")
        .group_by("person_key")
        .agg(
            cert_text=pl.concat_str(
                pl.lit("持"), pl.col("category").first(), pl.col("grade").first(), pl.lit("残疾证")
            )
        )
    )
    ill = ctx.oop(spec["window_days"]).filter(
        pl.col("oop_fen") >= int(spec["serious_illness_oop_yuan"] * 100)
    )
    ill = ill.select(
        "person_key",
        ill_text=pl.concat_str(
            pl.lit("重病（近12个月医保个人自付 "), yuan(pl.col("oop_fen")), pl.lit(" 元）")
        ),
    )
    people = pl.concat(
        [status.select("person_key"), cert.select("person_key"), ill.select("person_key")]
    ).unique()
    facts = (
        people.join(status, on="person_key", how="left")
        .join(cert, on="person_key", how="left")
        .join(ill, on="person_key", how="left")
    )
    custody = pl.col("status").is_in(["服刑在押", "失踪"])
    reason = pl.concat_str(
        [
            pl.when(pl.col("status").is_in(PARENT_STATUSES)).then(pl.col("status")),
            pl.col("cert_text"),
            pl.col("ill_text"),
        ],
        separator="，",
        ignore_nulls=True,
    )
    return facts.select(
        "person_key",
        unable=(
            custody | pl.col("cert_text").is_not_null() | pl.col("ill_text").is_not_null()
        ).fill_null(False),
        gone=pl.col("status").is_in(["死亡", "失踪"]).fill_null(False),
        dead=(pl.col("status") == "死亡").fill_null(False),
        reason=pl.when(reason != "").then(reason),
    )


def review_due(ctx: Context) -> pl.DataFrame:
    spec = ctx.rule("REVIEW_DUE")
    as_of = ctx.inputs.as_of
    members = ctx.inputs.lowincome.filter(pl.col("status") == "在保")
    able = (
        members.with_columns(age=age_at(pl.col("id_birth_date"), as_of))
        .group_by("household_id")
        .agg(
            unstable=(
                pl.col("age").is_between(spec["working_age_min"], spec["working_age_max"])
                & pl.col("work_ability").is_in(spec["unstable_work_abilities"])
            ).any()
        )
    )
    households = (
        ctx.households.filter(
            pl.col("in_care") & pl.col("household_category").is_in(spec["categories"])
        )
        .join(able, on="household_id", how="left")
        .with_columns(
            months=pl.when(pl.col("unstable"))
            .then(spec["interval_months_unstable"])
            .otherwise(spec["interval_months_stable"]),
            since=pl.coalesce("last_review_date", "enrol_date"),
        )
        .with_columns(next_review=pl.col("since").dt.offset_by(pl.format("{}mo", pl.col("months"))))
    )
    hits = households.filter(
        pl.col("next_review") <= pl.lit(as_of + dt.timedelta(days=spec["lookahead_days"]))
    )
    hits = hits.rename({"applicant_key": "person_key"}).filter(
        pl.col("person_key").is_not_null()  # nobody living to put it on
    )
    hits = hits.with_columns(overdue_days=(pl.lit(as_of) - pl.col("next_review")).dt.total_days())
    overdue = pl.col("next_review") < pl.lit(as_of)
    evidence = pl.concat_str(
        pl.lit("上次核查 "),
        pl.col("since").dt.strftime("%Y-%m-%d"),
        pl.when(pl.col("last_review_date").is_null())
        .then(pl.lit("（纳入日期，未核查过）"))
        .otherwise(pl.lit("")),
        pl.lit("，复核周期"),
        pl.col("months").cast(pl.String),
        pl.lit("个月，应于 "),
        pl.col("next_review").dt.strftime("%Y-%m-%d"),
        pl.lit(" 前复核"),
        pl.when(overdue)
        .then(
            pl.concat_str(
                pl.lit("（已逾期 "), pl.col("overdue_days").cast(pl.String), pl.lit(" 天）")
            )
        )
        .otherwise(pl.lit("")),
    )
    priority = (
        pl.when(overdue).then(pl.lit(spec["overdue_priority"])).otherwise(pl.lit(spec["priority"]))
    )
    return leads(
        hits, "REVIEW_DUE", ctx, evidence, priority=priority, household_id=pl.col("household_id")
    )


@dataclass(frozen=True)
class Rule:
    find: Callable[[Context], pl.DataFrame]
    # a source added after the first four: the rule is skipped while no delivery up to the
    # period holds it
    needs: str | None = None
    # ... and also in a period without a delivery of that source of its own
    needs_own_delivery: bool = False
    # rules.md: no rule but the rules about deaths raises a lead on a *deceased* person
    about_deaths: bool = False


RULES: dict[str, Rule] = {
    "MED_OOP_UNCOVERED": Rule(med_oop_uncovered),
    "MED_OOP_BELOW_LINE": Rule(med_oop_below_line),
    "DIS_SEVERE_UNCOVERED": Rule(dis_severe_uncovered),
    "DIS_LIVING_SUBSIDY_MISSING": Rule(dis_living_subsidy_missing),
    "DIS_CARE_SUBSIDY_MISSING": Rule(dis_care_subsidy_missing),
    "DECEASED_ON_ROLL": Rule(deceased_on_roll, about_deaths=True),
    "MOVED_OUT_ON_ROLL": Rule(moved_out_on_roll),
    "IDENTITY_MISMATCH": Rule(identity_mismatch),
    "CHILD_UNSUPPORTED": Rule(child_unsupported),
    "REVIEW_DUE": Rule(review_due),
    "ELDER_ALLOWANCE_MISSING": Rule(elder.elder_allowance_missing, needs="eldercare"),
    "ELDER_CARE_SUBSIDY_MISSING": Rule(elder.elder_care_subsidy_missing, needs="eldercare"),
    "ELDER_VISIT_OVERDUE": Rule(
        elder.elder_visit_overdue, needs="eldercare", needs_own_delivery=True
    ),
    "DECEASED_STILL_PAID": Rule(elder.deceased_still_paid, about_deaths=True),  # on what exists
    "FUNERAL_SUBSIDY_MISSING": Rule(
        deaths.funeral_subsidy_missing, needs="funeral", about_deaths=True
    ),
}


def skipped(inputs: Inputs) -> dict[str, str]:
    """The rules the period cannot run, and why (for the run's summary)."""
    reasons = {}
    for code, rule in RULES.items():
        if rule.needs is None:
            continue
        latest = inputs.deliveries.get(rule.needs)
        if latest is None:
            reasons[code] = f"{rule.needs} never delivered up to {inputs.period}"
        elif rule.needs_own_delivery and latest != inputs.period:
            reasons[code] = (
                f"no {rule.needs} delivery for {inputs.period}, the {latest} snapshot stands; "
                "open leads carried unchanged"
            )
    return reasons


@dataclass
class Evaluation:
    hits: pl.DataFrame  # every rule's leads, placed (LEAD_COLUMNS + county_code)
    skipped: dict[str, str]  # rule -> why it did not run this period
    elder_coverage: pl.DataFrame  # elder.COVERAGE_SCHEMA; empty without the elder services
    death_facts: pl.DataFrame  # deaths.DEATH_FACTS_SCHEMA: every death known at as_of
    seconds: dict[str, float] = field(default_factory=dict)  # per rule


def evaluate_period(inputs: Inputs, config: Config, rules: list[str] | None = None) -> Evaluation:
    """Every rule the period can run, placed, in a stable order; the rules it cannot, and
    why; the elder-care facts the `elder_care_coverage` mart counts."""
    ctx = Context(inputs, config)
    codes = rules or list(RULES)
    cannot_run = skipped(inputs)
    cannot = {code: why for code, why in cannot_run.items() if code in codes}
    frames, seconds = [], {}
    for code in codes:
        if code in cannot:
            continue
        started = time.perf_counter()
        found = RULES[code].find(ctx)
        if not RULES[code].about_deaths:
            found = found.join(ctx.deceased.select("person_key"), on="person_key", how="anti")
        frames.append(found)
        seconds[code] = time.perf_counter() - started
    candidates = pl.concat(frames, how="vertical") if frames else pl.DataFrame(schema=LEAD_COLUMNS)
    hits = place(candidates, ctx).sort("rule_code", "person_key")
    coverage = (
        elder.coverage_people(ctx, visits_known="ELDER_VISIT_OVERDUE" not in cannot_run)
        if inputs.eldercare is not None
        else pl.DataFrame(schema=elder.COVERAGE_SCHEMA)
    )
    return Evaluation(hits, cannot, coverage, deaths.death_facts(ctx), seconds)


def evaluate(inputs: Inputs, config: Config, rules: list[str] | None = None) -> pl.DataFrame:
    """The hits alone (`evaluate_period`)."""
    return evaluate_period(inputs, config, rules).hits
