"""The two sides identity repair links, read from the warehouse (vault included: this step
needs the numbers and names): the period's mismatched low-income records, and the register."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from repair.digits import number_forms
from repair.names import name_forms
from repair.register import Register

RULE = "IDENTITY_MISMATCH"


@dataclass(frozen=True)
class Sides:
    records: pl.DataFrame  # one row per IDENTITY_MISMATCH lead listed in the period
    register: Register  # the hukou snapshot, in DuckDB
    household_members: pl.DataFrame  # household_id, person_key of every low-income row


def _latest(table: str, column: str = "period") -> str:
    return f"(SELECT max({column}) FROM {table} WHERE {column} <= $period)"


def mismatched(con: duckdb.DuckDBPyConnection, period: str) -> pl.DataFrame:
    """The low-income record behind each listed IDENTITY_MISMATCH lead, as delivered;
    `number_valid`: its number passed validation (it is only not in the register)."""
    return con.sql(
        f"""
        WITH rows AS (
            SELECT household_id, person_key, town_code, county_code, village,
                   true AS number_valid
            FROM ingested.lowincome WHERE period = {_latest("ingested.lowincome")}
            UNION ALL
            SELECT household_id, person_key, town_code, county_code, village,
                   false AS number_valid
            FROM ingested.lowincome_invalid_ids
            WHERE period = {_latest("ingested.lowincome_invalid_ids")}
        ),
        names AS (
            SELECT person_key, name FROM vault.people
            WHERE source = 'lowincome' AND period <= $period
            QUALIFY row_number() OVER (PARTITION BY person_key ORDER BY period DESC) = 1
        )
        SELECT s.lead_id, s.person_key, s.household_id, i.id_number, n.name,
               r.town_code, r.county_code, r.village, r.number_valid
        FROM leads.lead_states s
        LEFT JOIN (SELECT DISTINCT ON (household_id, person_key) * FROM rows) r
            USING (household_id, person_key)
        LEFT JOIN vault.identities i USING (person_key)
        LEFT JOIN names n USING (person_key)
        WHERE s.period = $period AND s.rule_code = '{RULE}' AND s.listed_status IS NOT NULL
        ORDER BY s.lead_id
        """,
        params={"period": period},
    ).pl()


def household_members(con: duckdb.DuckDBPyConnection, period: str) -> pl.DataFrame:
    return con.sql(
        f"""
        SELECT household_id, person_key FROM ingested.lowincome
        WHERE period = {_latest("ingested.lowincome")}
        UNION ALL
        SELECT household_id, person_key FROM ingested.lowincome_invalid_ids
        WHERE period = {_latest("ingested.lowincome_invalid_ids")}
        """,
        params={"period": period},
    ).pl()


def read_sides(con: duckdb.DuckDBPyConnection, period: str) -> Sides:
    return Sides(
        mismatched(con, period),
        Register.from_warehouse(con, period),
        household_members(con, period),
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


def prepare_register(register: pl.DataFrame, *, full: bool) -> pl.DataFrame:
    """The register's forms: the pronunciation for everyone (blocking), the rest only where
    `full` (the candidates)."""
    return number_forms(name_forms(register, full=full), "id_number")
