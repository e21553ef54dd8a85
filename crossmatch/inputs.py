"""The period's inputs for the rules: latest snapshots and the 365-day medical window.

Plain polars over the pseudonymous tables; `load_inputs` reads them from DuckDB.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import polars as pl

from doudi_core.config import Config
from doudi_core.period import as_of as period_as_of
from ingest.load import latest_delivery
from sources import SOURCES


@dataclass
class Inputs:
    period: str
    as_of: dt.date
    hukou: pl.DataFrame
    disability: pl.DataFrame
    lowincome: pl.DataFrame
    lowincome_invalid: pl.DataFrame
    settlements: pl.DataFrame  # the window's settlements, latest copies (load_settlements)
    # the latest elder-services snapshot up to the period; None while no delivery up to the
    # period holds one (the source came after the first four)
    eldercare: pl.DataFrame | None = None
    # the funeral homes' records delivered up to the period, the latest copy of each 业务编号
    # (a 死亡日期 after as_of included: the rules take deaths up to as_of); None while no
    # delivery up to the period holds one
    funeral: pl.DataFrame | None = None
    # the low-income rows of the people in `funeral`, from the latest snapshot up to the
    # period that still holds each of them (FUNERAL_SUBSIDY_MISSING judges on it)
    funeral_members: pl.DataFrame | None = None
    # per source added after the first four: its latest delivery up to the period, or None
    deliveries: dict[str, str | None] = field(default_factory=dict)


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
# what the rules read of the hukou snapshot (a city's is six million people)
HUKOU_COLUMNS = (
    "person_key",
    "name_key",
    "status",
    "status_date",
    "relation",
    "household_no",
    "id_sex",
    "id_birth_date",
    "father_key",
    "mother_key",
    "town_code",
)
# what the elder rules read of the elder-services snapshot
ELDERCARE_COLUMNS = (
    "person_key",
    "service",
    "status",
    "stop_date",
    "monthly_fen",
    "last_date",
    "assessment_grade",
    "town_code",
)


def snapshot(
    con: duckdb.DuckDBPyConnection,
    table: str,
    period: str,
    columns: tuple[str, ...] | None = None,
    where: str = "true",
) -> pl.DataFrame:
    """The latest snapshot of `table` up to `period` (its `columns`, the rows `where` keeps)."""
    return con.sql(
        f"SELECT {', '.join(columns) if columns else '*'} FROM ingested.{table} WHERE period = "
        f"(SELECT max(period) FROM ingested.{table} WHERE period <= ?) AND ({where})",
        params=[period],
    ).pl()


FUNERAL_COLUMNS = ("case_no", "person_key", "death_date", "funeral_home", "fee_waived")


def load_funeral(con: duckdb.DuckDBPyConnection, period: str) -> pl.DataFrame:
    """Every record delivered up to `period`, the latest delivery's copy of each 业务编号."""
    return con.sql(
        f"SELECT {', '.join(FUNERAL_COLUMNS)} FROM ingested.funeral WHERE delivery_period <= ? "
        "QUALIFY row_number() OVER (PARTITION BY case_no ORDER BY delivery_period DESC) = 1",
        params=[period],
    ).pl()


def load_funeral_members(
    con: duckdb.DuckDBPyConnection, period: str, funeral: pl.DataFrame
) -> pl.DataFrame:
    """The low-income rows of the funeral records' people, each from the latest snapshot up to
    `period` that holds them (a database may drop a member after their death)."""
    con.register("funeral_people", funeral.select("person_key").unique())
    try:
        return con.sql(
            "SELECT l.* FROM ingested.lowincome l SEMI JOIN funeral_people USING (person_key) "
            "WHERE l.period <= ? "
            "QUALIFY l.period = max(l.period) OVER (PARTITION BY l.person_key)",
            params=[period],
        ).pl()
    finally:
        con.unregister("funeral_people")


def deliveries(con: duckdb.DuckDBPyConnection, period: str) -> dict[str, str | None]:
    """Per source added after the first four: its latest delivery up to `period`, or None."""
    return {
        source.name: latest_delivery(con, source, period)
        for source in SOURCES.values()
        if not source.required
    }


def window_days(config: Config) -> int:
    """The longest settlement window any rule looks back over."""
    return max(spec.get("window_days", 0) for spec in config.raw["rules"].values())


def first_window_delivery(as_of: dt.date, days: int) -> str:
    """The earliest delivery period that can hold a settlement dated in the window, or the
    latest copy of one: a delivery carries no settlement dated after its own month."""
    return (as_of - dt.timedelta(days=days)).strftime("%Y-%m")


def load_settlements(con: duckdb.DuckDBPyConnection, period: str, days: int) -> pl.DataFrame:
    """The current copy of every settlement the window's deliveries hold, plus the settlements
    delivered only before them that a reversal links to them (a reversal takes its original's
    date): the originals of their reversals, and earlier reversals of their settlements.

    Only the window's deliveries are read whole, so the work stays a year of settlements
    however long the history grows. A settlement delivered again replaces the earlier copy;
    copies repeat only across deliveries (ingest quarantines them within one), so only ids
    delivered twice are grouped, and no copy is sorted.
    """
    first = first_window_delivery(period_as_of(period), days)
    columns = ", ".join(SETTLEMENT_COLUMNS)
    current = con.sql(
        f"""
        WITH delivered AS NOT MATERIALIZED (  -- each use pushes its own filters into the scan
            SELECT {columns}, delivery_period FROM ingested.medical
            WHERE delivery_period BETWEEN $first AND $period
        ),
        replaced AS (
            SELECT settlement_id, max(delivery_period) AS latest FROM delivered
            GROUP BY settlement_id HAVING count(*) > 1
        )
        SELECT {", ".join(f"d.{c}" for c in SETTLEMENT_COLUMNS)} FROM delivered d ANTI JOIN replaced r
        ON d.settlement_id = r.settlement_id AND d.delivery_period < r.latest
        """,
        params={"first": first, "period": period},
    ).pl()
    earlier_reversals = con.sql(  # few: reversals are rare
        "SELECT settlement_id, reverses_id FROM ingested.medical "
        "WHERE delivery_period < ? AND reverses_id IS NOT NULL",
        params=[first],
    ).pl()
    wanted = _linked_elsewhere(current, earlier_reversals).to_frame("settlement_id")
    if wanted.is_empty():
        return current
    earlier = con.sql(  # `wanted` is read by its Python name
        f"SELECT {columns} FROM ingested.medical WHERE delivery_period < ? "
        "AND settlement_id IN (SELECT settlement_id FROM wanted) "
        "QUALIFY row_number() OVER (PARTITION BY settlement_id ORDER BY delivery_period DESC) = 1",
        params=[first],
    ).pl()
    return pl.concat([current, earlier])


def _linked_elsewhere(current: pl.DataFrame, earlier_reversals: pl.DataFrame) -> pl.Series:
    """Ids `current` lacks that a reversal links to it: originals of its reversals, and the
    earlier reversals of its settlements."""
    reversed_now = current.filter(
        pl.col("settlement_id").is_in(earlier_reversals["reverses_id"].implode())
    )["settlement_id"]
    reversing = earlier_reversals.filter(pl.col("reverses_id").is_in(reversed_now.implode()))
    linked = pl.concat([current["reverses_id"].drop_nulls(), reversing["settlement_id"]]).unique()
    held = current.filter(pl.col("settlement_id").is_in(linked.implode()))["settlement_id"]
    return linked.filter(~linked.is_in(held.implode()))


def load_inputs(con: duckdb.DuckDBPyConnection, period: str, days: int) -> Inputs:
    """Latest snapshot of each source up to `period` (the columns the rules read of the
    large ones); the settlements of the `days`-long window (`load_settlements`)."""
    delivered = deliveries(con, period)
    funeral = load_funeral(con, period) if delivered["funeral"] else None
    return Inputs(
        period=period,
        as_of=period_as_of(period),
        hukou=snapshot(con, "hukou", period, HUKOU_COLUMNS),
        disability=snapshot(con, "disability", period),
        lowincome=snapshot(con, "lowincome", period),
        lowincome_invalid=snapshot(con, "lowincome_invalid_ids", period),
        settlements=load_settlements(con, period, days),
        eldercare=snapshot(con, "eldercare", period, ELDERCARE_COLUMNS)
        if delivered["eldercare"]
        else None,
        funeral=funeral,
        funeral_members=None if funeral is None else load_funeral_members(con, period, funeral),
        deliveries=delivered,
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
