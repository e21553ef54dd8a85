"""Who is on each partner department's roster (outputs.md, 数据转办): plain polars over the
period's pseudonymous inputs. Identity numbers, names and document numbers are attached
afterwards from the vault (`rosters.publish`), for the people listed only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl

from crossmatch.context import Context, age_at

DEATH = "已死亡"  # the disability roster's category for a deceased holder


def _living(frame: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    return frame.join(ctx.deceased.select("person_key"), on="person_key", how="anti")


def _members(ctx: Context, categories: list[str] | None = None) -> pl.DataFrame:
    """Members 在保 (their own status), one row each: their own category (the first by the
    category's name when a person has several)."""
    rows = ctx.inputs.lowincome.filter(pl.col("status") == "在保")
    if categories is not None:
        rows = rows.filter(pl.col("category").is_in(categories))
    return rows.sort("person_key", "category", "household_id").unique(
        "person_key", keep="first", maintain_order=True
    )


def medical(ctx: Context, spec: dict) -> pl.DataFrame:
    """Every living member 在保 in the roster's categories (subsidised enrolment, one-stop
    medical-assistance settlement)."""
    members = _living(_members(ctx, spec["categories"]), ctx)
    return members.select("person_key", "category", "enrol_date")


def education(ctx: Context, spec: dict) -> pl.DataFrame:
    """Living members 在保 (any category) aged `min_age`–`max_age` at as_of."""
    age = age_at(pl.col("id_birth_date"), ctx.inputs.as_of)
    members = _living(_members(ctx), ctx).filter(age.is_between(spec["min_age"], spec["max_age"]))
    return members.select("person_key", "category", "town_code")


def disability(ctx: Context, spec: dict) -> pl.DataFrame:
    """One row per counting certificate of a member 在保, and of a deceased holder whose
    certificate still counts (its category shown as 已死亡, with the date of death)."""
    certificates = ctx.counting_certificates.select("person_key", "certificate_key")
    dead = ctx.deceased.select("person_key", "death_date")
    living = _living(_members(ctx), ctx).select("person_key", "category")
    in_care = certificates.join(living, on="person_key").with_columns(
        death_date=pl.lit(None, dtype=pl.Date)
    )
    deceased = certificates.join(dead, on="person_key").with_columns(category=pl.lit(DEATH))
    return pl.concat([in_care, deceased.select(in_care.columns)]).select(
        "person_key", "certificate_key", "category", "death_date"
    )


def police(ctx: Context, spec: dict) -> pl.DataFrame:
    """People deceased by a funeral record dated at least `deregistration_lag_days` before
    as_of whose hukou status is still 正常: deaths the register has not recorded."""
    if ctx.inputs.funeral is None:
        return pl.DataFrame(
            schema={
                "person_key": pl.Int64,
                "case_no": pl.String,
                "death_date": pl.Date,
                "funeral_home": pl.String,
            }
        )
    deadline = ctx.inputs.as_of - dt.timedelta(days=spec["deregistration_lag_days"])
    still_registered = ctx.inputs.hukou.filter(pl.col("status") == "正常").select("person_key")
    return (
        ctx.inputs.funeral.filter(pl.col("death_date") <= deadline)
        .sort("death_date", "case_no")
        .unique("person_key", keep="first", maintain_order=True)
        .join(still_registered, on="person_key")
        .select("person_key", "case_no", "death_date", "funeral_home")
    )


ROSTERS: dict[str, Callable[[Context, dict], pl.DataFrame]] = {
    "medical": medical,
    "education": education,
    "disability": disability,
    "police": police,
}
