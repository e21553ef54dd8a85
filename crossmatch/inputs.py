"""The period's inputs for the rules: latest snapshots and the 365-day medical window.

Plain polars over the pseudonymous tables; `load_inputs` reads them from DuckDB.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import polars as pl

from doudi_core.period import as_of as period_as_of


@dataclass
class Inputs:
    period: str
    as_of: dt.date
    hukou: pl.DataFrame
    disability: pl.DataFrame
    lowincome: pl.DataFrame
    lowincome_invalid: pl.DataFrame
    settlements: pl.DataFrame  # current copy of every settlement delivered up to the period


# what the rules read of a settlement (a city's medical stream is millions of rows)
SETTLEMENT_COLUMNS = (
    "settlement_id",
    "reverses_id",
    "person_key",
    "care_type",
    "settlement_date",
    "oop_fen",
    "insured_county_code",
)


def _snapshot(con: duckdb.DuckDBPyConnection, table: str, period: str) -> pl.DataFrame:
    return con.sql(
        f"SELECT * FROM ingested.{table} WHERE period = "
        f"(SELECT max(period) FROM ingested.{table} WHERE period <= ?)",
        params=[period],
    ).pl()


def load_inputs(con: duckdb.DuckDBPyConnection, period: str) -> Inputs:
    """Latest snapshot of each source up to `period`; every settlement delivered up to it
    (its latest copy, and only the columns the rules read)."""
    settlements = con.sql(
        f"SELECT {', '.join(SETTLEMENT_COLUMNS)} FROM ingested.medical WHERE delivery_period <= ? "
        "QUALIFY row_number() OVER (PARTITION BY settlement_id ORDER BY delivery_period DESC) = 1",
        params=[period],
    ).pl()
    return Inputs(
        period=period,
        as_of=period_as_of(period),
        hukou=_snapshot(con, "hukou", period),
        disability=_snapshot(con, "disability", period),
        lowincome=_snapshot(con, "lowincome", period),
        lowincome_invalid=_snapshot(con, "lowincome_invalid_ids", period),
        settlements=settlements,
    )


def out_of_pocket(settlements: pl.DataFrame, as_of: dt.date, window_days: int) -> pl.DataFrame:
    """Per person: out-of-pocket fen in the window ending `as_of`, reversals netted.

    A reversal counts where its original counts: it takes the original's date, so
    a refund never leaves a bill in the window without its netting (or vice versa).
    Also the number of inpatient stays (住院 settlements that were not reversed).
    Only the (few) reversals are joined to their originals: the settlements are millions.
    """
    start = as_of - dt.timedelta(days=window_days)
    lazy = settlements.lazy()
    plain = lazy.filter(pl.col("reverses_id").is_null())
    originals = plain.select(
        pl.col("settlement_id").alias("reverses_id"),
        pl.col("settlement_date").alias("original_date"),
    )
    reversals = (
        lazy.filter(pl.col("reverses_id").is_not_null())
        .join(originals, on="reverses_id", how="left")
        .with_columns(settlement_date=pl.coalesce("original_date", "settlement_date"))
    )
    window = (pl.col("settlement_date") > start) & (pl.col("settlement_date") <= as_of)
    plain_in, reversals_in = plain.filter(window), reversals.filter(window)
    refunded = reversals_in.select(pl.col("reverses_id").alias("settlement_id"))
    stays = (
        plain_in.filter(pl.col("care_type") == "住院")
        .join(refunded, on="settlement_id", how="anti")
        .group_by("person_key")
        .agg(inpatient_stays=pl.len().cast(pl.Int64))
    )
    columns = ["person_key", "oop_fen"]
    totals = (
        pl.concat([plain_in.select(columns), reversals_in.select(columns)])
        .group_by("person_key")
        .agg(pl.col("oop_fen").sum())
    )
    return (
        totals.join(stays, on="person_key", how="left")
        .with_columns(pl.col("inpatient_stays").fill_null(0))
        .collect()
    )
