"""What every rule shares: the lead's columns, the period's shared facts (`Context`), and
the helpers that write evidence (yuan amounts, whole-year ages)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import polars as pl

from crossmatch.inputs import Inputs
from doudi_core.config import Config

LEAD_COLUMNS = {
    "rule_code": pl.String,
    "person_key": pl.Int64,
    "priority": pl.String,
    "evidence": pl.String,
    "oop_fen": pl.Int64,
    "household_id": pl.String,
    "town_code": pl.String,
}


def yuan(fen: pl.Expr) -> pl.Expr:
    """Fen as `38,420.50`: thousands separated, two decimals."""
    whole = (fen.abs() // 100).cast(pl.String)
    grouped = (
        whole.str.reverse().str.replace_all(r"(\d{3})", "$1,").str.reverse().str.strip_prefix(",")
    )
    sign = pl.when(fen < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str(sign, grouped, pl.lit("."), (fen.abs() % 100).cast(pl.String).str.zfill(2))


def age_at(birth: pl.Expr, day: dt.date) -> pl.Expr:
    """Whole years at `day`."""
    had_birthday = (pl.lit(day.month) > birth.dt.month()) | (
        (pl.lit(day.month) == birth.dt.month()) & (pl.lit(day.day) >= birth.dt.day())
    )
    return pl.lit(day.year) - birth.dt.year() - pl.when(had_birthday).then(0).otherwise(1)


@dataclass
class Context:
    """Facts several rules share, computed once per period."""

    inputs: Inputs
    config: Config
    _once: dict[Callable, pl.DataFrame] = field(default_factory=dict)

    def rule(self, code: str) -> dict:
        return self.config.rule(code)

    def definition(self, name: str) -> dict:
        """A definition several rules share (`[definitions.*]`), such as *dependent for care*."""
        return self.config.raw["definitions"][name]

    def once(self, compute: Callable[[Context], pl.DataFrame]) -> pl.DataFrame:
        """`compute(self)`, computed once per period however many rules (and marts) ask."""
        if compute not in self._once:
            self._once[compute] = compute(self)
        return self._once[compute]

    def oop(self, window_days: int) -> pl.DataFrame:
        """Out-of-pocket fen and inpatient stays per person in the window (loaded per window
        length the configuration names: `inputs.window_days`)."""
        return self.inputs.medical[window_days].drop("settlements")

    @cached_property
    def covered(self) -> pl.DataFrame:
        """People the low-income database has as a member 在保 (their own status)."""
        return (
            self.inputs.lowincome.filter(pl.col("status") == "在保").select("person_key").unique()
        )

    @cached_property
    def households(self) -> pl.DataFrame:
        """One row per household: 在保 if any member is; category and figures of the applicant.
        A lead on the household goes to its applicant, or, when the applicant is *deceased*,
        to its oldest living 在保 member (rules.md); with none, `applicant_key` is null and
        the household gets no such lead (DECEASED_ON_ROLL raises its members')."""
        members = self.inputs.lowincome
        applicant = members.filter(pl.col("relation") == "本人").unique(
            "household_id", keep="first"
        )
        in_care = members.group_by("household_id").agg(in_care=(pl.col("status") == "在保").any())
        dead = self.deceased.select("person_key")
        oldest_living = (
            members.filter(pl.col("status") == "在保")
            .join(dead, on="person_key", how="anti")
            .sort("id_birth_date", "person_key", nulls_last=True)
            .group_by("household_id", maintain_order=True)
            .agg(oldest_living=pl.col("person_key").first())
        )
        applicant_dead = pl.col("person_key").is_in(dead["person_key"].implode())
        return (
            applicant.join(oldest_living, on="household_id", how="left")
            .select(
                "household_id",
                pl.when(applicant_dead)
                .then(pl.col("oldest_living"))
                .otherwise(pl.col("person_key"))
                .alias("applicant_key"),
                pl.col("category").alias("household_category"),
                "income_fen",
                "household_size",
                "last_review_date",
                "enrol_date",
                pl.col("county_code").alias("household_county"),
            )
            .join(in_care, on="household_id")
        )

    @cached_property
    def counting_certificates(self) -> pl.DataFrame:
        return self.inputs.disability.filter(pl.col("certificate_state") == "有效")

    @cached_property
    def deceased(self) -> pl.DataFrame:
        """People *deceased* at as_of (rules.md): hukou status 死亡 dated on or before as_of, or
        a funeral record whose 死亡日期 is on or before as_of. The date of death is the
        earliest; `death_text` names the source of that date, and the other when it also
        shows the death: funeral homes often know weeks before the register."""
        as_of = pl.lit(self.inputs.as_of)
        register = self.inputs.hukou.filter(
            (pl.col("status") == "死亡") & (pl.col("status_date") <= as_of)
        ).select("person_key", register_date="status_date")
        funeral = self.inputs.funeral
        if funeral is None:
            funeral = pl.DataFrame(schema={"person_key": pl.Int64, "death_date": pl.Date})
        homes = (
            funeral.filter(pl.col("death_date") <= as_of)
            .group_by("person_key")
            .agg(funeral_date=pl.col("death_date").min())
        )
        both = register.join(homes, on="person_key", how="full", coalesce=True)
        day = "%Y-%m-%d"
        by_home = pl.format("殡仪馆火化记录：{} 死亡", pl.col("funeral_date").dt.strftime(day))
        by_register = pl.format("公安户籍：{} 死亡", pl.col("register_date").dt.strftime(day))
        funeral_first = pl.col("register_date").is_null() | (
            pl.col("funeral_date") < pl.col("register_date")
        )
        text = (
            pl.when(pl.col("funeral_date").is_null())
            .then(by_register)
            .when(pl.col("register_date").is_null())
            .then(pl.concat_str(by_home, pl.lit("（户籍尚未注销）")))
            .when(funeral_first)
            .then(pl.format("{}（{}）", by_home, by_register))
            .otherwise(pl.format("{}（{}）", by_register, by_home))
        )
        return both.select(
            "person_key",
            death_date=pl.min_horizontal("register_date", "funeral_date"),
            death_text=text,
            register_date="register_date",
            funeral_date="funeral_date",
        )

    @cached_property
    def dependent(self) -> pl.DataFrame:
        """People *dependent for care* (rules.md), with why in words: their latest 能力评估
        grade, their 自理能力 on an 在保 row of the low-income database, or a counting
        certificate of a severe grade."""
        spec = self.definition("dependent_for_care")
        parts = [
            self.inputs.lowincome.filter(
                (pl.col("status") == "在保") & pl.col("self_care").is_in(spec["self_care"])
            ).select(
                "person_key", order=pl.lit(2), reason=pl.concat_str(pl.lit("自理能力"), "self_care")
            ),
            self.counting_certificates.filter(
                pl.col("grade").is_in(spec["certificate_grades"])
            ).select(
                "person_key",
                order=pl.lit(3),
                reason=pl.concat_str(pl.lit("持"), "category", "grade", pl.lit("残疾证")),
            ),
        ]
        if self.inputs.eldercare is not None:
            assessed = self.inputs.eldercare.filter(
                (pl.col("service") == "能力评估")
                & pl.col("assessment_grade").is_in(spec["assessment_grades"])
            )
            parts.append(
                assessed.select(
                    "person_key",
                    order=pl.lit(1),
                    reason=pl.concat_str(
                        pl.lit("能力评估"),
                        "assessment_grade",
                        pl.when(pl.col("last_date").is_not_null()).then(
                            pl.format("（{}）", pl.col("last_date").dt.strftime("%Y-%m-%d"))
                        ),
                        ignore_nulls=True,
                    ),
                )
            )
        return (
            pl.concat([p.cast({"order": pl.Int32}) for p in parts])
            .unique(["person_key", "reason"])
            .sort("order", "reason")
            .group_by("person_key", maintain_order=True)
            .agg(dependent_reason=pl.col("reason").str.join("，"))
        )


def leads(
    frame: pl.DataFrame, code: str, ctx: Context, evidence: pl.Expr, **extra: pl.Expr
) -> pl.DataFrame:
    priority = extra.pop("priority", pl.lit(ctx.rule(code)["priority"]))
    columns = {
        "rule_code": pl.lit(code),
        "person_key": pl.col("person_key"),
        "priority": priority,
        "evidence": evidence,
        "oop_fen": extra.pop("oop_fen", pl.lit(None, dtype=pl.Int64)),
        "household_id": extra.pop("household_id", pl.lit(None, dtype=pl.String)),
        "town_code": extra.pop("town_code", pl.lit(None, dtype=pl.String)),
    }
    return (
        frame.select(**columns).cast(LEAD_COLUMNS).unique(["rule_code", "person_key"], keep="first")
    )
