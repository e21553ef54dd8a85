"""The two sides identity repair links, read from the warehouse (vault included: this step
needs the numbers and names): the period's mismatched low-income records, and the register."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from crossmatch.inputs import snapshot
from crossmatch.publish import identify
from repair.digits import number_forms
from repair.names import name_forms
from repair.register import Register

RULE = "IDENTITY_MISMATCH"


@dataclass(frozen=True)
class Sides:
    records: pl.DataFrame  # one row per IDENTITY_MISMATCH lead listed in the period
    register: Register  # the hukou snapshot, in DuckDB
    household_members: pl.DataFrame  # household_id, person_key of every low-income row


LOWINCOME_COLUMNS = ("household_id", "person_key", "town_code", "county_code", "village")


def lowincome_rows(con: duckdb.DuckDBPyConnection, period: str) -> pl.DataFrame:
    """Every member of the latest low-income snapshot, valid number or not (`number_valid`:
    the number passed validation and is only absent from the register)."""
    parts = [
        snapshot(con, table, period, LOWINCOME_COLUMNS).with_columns(number_valid=pl.lit(valid))
        for table, valid in (("lowincome", True), ("lowincome_invalid_ids", False))
    ]
    return pl.concat(parts).unique(
        ["household_id", "person_key"], keep="first", maintain_order=True
    )


def mismatched(con: duckdb.DuckDBPyConnection, period: str, rows: pl.DataFrame) -> pl.DataFrame:
    """The low-income record behind each listed IDENTITY_MISMATCH lead, with the number and
    name the leads file shows (from the vault, as `crossmatch.publish.identify` finds them)."""
    leads = con.sql(
        "SELECT lead_id, person_key, household_id FROM leads.lead_states "
        "WHERE period = ? AND rule_code = ? AND listed_status IS NOT NULL ORDER BY lead_id",
        params=[period, RULE],
    ).pl()
    return identify(con, leads, period).join(
        rows, on=["household_id", "person_key"], how="left", maintain_order="left"
    )


def read_sides(con: duckdb.DuckDBPyConnection, period: str) -> Sides:
    rows = lowincome_rows(con, period)
    return Sides(
        mismatched(con, period, rows),
        Register.from_warehouse(con, period),
        rows.select("household_id", "person_key"),
    )


def prepare_records(sides: Sides) -> pl.DataFrame:
    """The mismatched records with the forms compared, and the 户号 their household's other
    members have in the register (the strongest evidence there is)."""
    members = sides.household_members.join(
        sides.register.households(sides.household_members["person_key"]),
        on="person_key",
        how="inner",
    )
    records = sides.records
    others = (
        records.select("lead_id", "household_id", pl.col("person_key").alias("self"))
        .join(members, on="household_id", how="inner")
        .filter(pl.col("person_key") != pl.col("self"))
        .group_by("lead_id")
        .agg(
            pl.col("household_no").alias("other_households"),
            pl.col("person_key").alias("other_members"),
            pl.col("household_no").mode().sort().first().alias("household_no"),
        )
    )
    records = records.join(others, on="lead_id", how="left").with_columns(
        pl.col("other_households").fill_null(pl.lit([], dtype=pl.List(pl.String))),
        pl.col("other_members").fill_null(pl.lit([], dtype=pl.List(pl.String))),
    )
    return number_forms(name_forms(records), "id_number")


def prepare_register(register: pl.DataFrame) -> pl.DataFrame:
    """The forms the model compares, for register rows (candidates, or the random sample)."""
    return number_forms(name_forms(register), "id_number")
