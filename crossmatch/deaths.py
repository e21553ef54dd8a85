"""身后一件事: the rule on the funeral homes' records (FUNERAL_SUBSIDY_MISSING), and the
per-person death facts the `deaths_reported` mart counts. Who is *deceased* is decided once,
in `Context.deceased`."""

from __future__ import annotations

import datetime as dt

import polars as pl

from crossmatch.context import Context, leads


def funeral_subsidy_missing(ctx: Context) -> pl.DataFrame:
    """A funeral record dated in the window whose deceased was, at death, a member of one of
    the categories, 在保 (or 停保 on or after the day of death), judged on the latest
    low-income snapshot that still holds them, with no fee waived on any record of theirs."""
    spec = ctx.rule("FUNERAL_SUBSIDY_MISSING")
    as_of = ctx.inputs.as_of
    records = ctx.inputs.funeral
    start = as_of - dt.timedelta(days=spec["window_days"])
    deaths = (
        records.filter((pl.col("death_date") > start) & (pl.col("death_date") <= as_of))
        .sort("death_date", "case_no")
        .group_by("person_key", maintain_order=True)
        .agg(pl.col("death_date").first(), pl.col("funeral_home").first())
    )
    waived = records.group_by("person_key").agg(waived=pl.col("fee_waived").any())
    member_then = (pl.col("status") == "在保") | (
        (pl.col("status") == "停保") & (pl.col("stop_date") >= pl.col("death_date"))
    )
    hits = (
        ctx.inputs.funeral_members.join(deaths, on="person_key")
        .filter(pl.col("category").is_in(spec["categories"]) & member_then)
        .sort("category", "household_id")
        .unique("person_key", keep="first", maintain_order=True)
        .join(waived.filter(~pl.col("waived")), on="person_key")
    )
    evidence = pl.concat_str(
        pl.lit("殡仪馆火化记录："),
        pl.col("death_date").dt.strftime("%Y-%m-%d"),
        pl.lit(" 死亡（"),
        pl.col("funeral_home").fill_null("殡仪馆不详"),
        pl.lit("），生前为"),
        pl.col("category"),
        pl.lit("对象，殡葬记录均未享受惠民殡葬减免"),
    )
    return leads(
        hits,
        "FUNERAL_SUBSIDY_MISSING",
        ctx,
        evidence,
        household_id=pl.col("household_id"),
        town_code=pl.col("town_code"),
    )


DEATH_FACTS_SCHEMA = {
    "person_key": pl.Int64,
    "county_code": pl.String,
    "funeral_date": pl.Date,
    "register_date": pl.Date,
    "hukou_status": pl.String,
}


def death_facts(ctx: Context) -> pl.DataFrame:
    """Every death known at as_of with what each source says, for the `deaths_reported` mart:
    the funeral homes' date, the register's, the hukou status the period's snapshot shows,
    and the county (the hukou's; `未知` for people not in the register)."""
    hukou = ctx.inputs.hukou.select(
        "person_key", hukou_status="status", hukou_county=pl.col("town_code").str.slice(0, 6)
    )
    facts = ctx.deceased.join(hukou, on="person_key", how="left").with_columns(
        county_code=pl.coalesce("hukou_county", pl.lit("未知"))
    )
    return facts.select(list(DEATH_FACTS_SCHEMA)).cast(DEATH_FACTS_SCHEMA).sort("person_key")
