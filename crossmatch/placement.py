"""Where a case is handled: one place decides it for every rule and for the elder marts."""

from __future__ import annotations

import polars as pl

from crossmatch.context import LEAD_COLUMNS, Context


def placed(candidates: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """`candidates` (person_key, town_code, household_id: the last two may be null) with
    where each case is handled (outputs.md): the low-income database's town for covered
    people, else the hukou town, else the disability record's, else the medical record's
    county. Every column of `candidates` is kept."""
    covered_town = (
        ctx.inputs.lowincome.filter(pl.col("status") == "在保")
        .group_by("person_key")
        .agg(
            covered_town=pl.col("town_code").sort().first(),
            member_household=pl.col("household_id").sort().first(),
        )
    )
    any_household = ctx.inputs.lowincome.group_by("person_key").agg(
        any_household=pl.col("household_id").sort().first()
    )
    hukou_town = ctx.inputs.hukou.select("person_key", hukou_town="town_code")
    cert_town = ctx.inputs.disability.group_by("person_key").agg(
        cert_town=pl.col("town_code").sort().first()
    )
    # the insured county of a person's latest settlement, for the few with no town
    medical = ctx.inputs.medical_counties
    return (
        candidates.join(covered_town, on="person_key", how="left")
        .join(any_household, on="person_key", how="left")
        .join(hukou_town, on="person_key", how="left")
        .join(cert_town, on="person_key", how="left")
        .join(medical, on="person_key", how="left")
        .with_columns(
            town_code=pl.coalesce("town_code", "covered_town", "hukou_town", "cert_town"),
            household_id=pl.coalesce("household_id", "member_household", "any_household"),
        )
        .with_columns(
            county_code=pl.coalesce(pl.col("town_code").str.slice(0, 6), "insured_county_code")
        )
        .select(*candidates.columns, "county_code")
    )


def place(candidates: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """Leads, placed (`placed`), in the leads' columns."""
    return placed(candidates, ctx).select(*LEAD_COLUMNS, "county_code")
