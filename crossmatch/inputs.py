"""The period's inputs for the rules: latest snapshots and the medical window's totals.

Plain polars over the pseudonymous tables; `load_inputs` reads them from DuckDB.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import duckdb
import polars as pl

from crossmatch import medical
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
    # per window length (days): each person's out-of-pocket fen and inpatient stays in the
    # window ending as_of (crossmatch/medical.py)
    medical: dict[int, pl.DataFrame]
    # the insured county of the latest settlement of each person the hukou snapshot lacks
    medical_counties: pl.DataFrame
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
SETTLEMENT_COLUMNS = (*medical.SHARE_COLUMNS, "insured_county_code")
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


def window_days(config: Config) -> tuple[int, ...]:
    """The settlement windows the rules look back over (days), longest first."""
    days = {spec["window_days"] for spec in config.raw["rules"].values() if "window_days" in spec}
    return tuple(sorted(days, reverse=True))


def first_window_delivery(as_of: dt.date, days: int) -> str:
    """The earliest delivery period that can hold a settlement dated in the window, or the
    latest copy of one: a delivery carries no settlement dated after its own month."""
    return (as_of - dt.timedelta(days=days)).strftime("%Y-%m")


def load_settlements(
    con: duckdb.DuckDBPyConnection,
    period: str,
    days: int,
    where: str = "true",
    columns: tuple[str, ...] = SETTLEMENT_COLUMNS,
) -> pl.DataFrame:
    """The current copy of every settlement the window's deliveries hold, plus the settlements
    delivered only before them that a reversal links to them (a reversal takes its original's
    date): the originals of their reversals, and earlier reversals of their settlements.

    Only the window's deliveries are read whole, so the work stays a year of settlements
    however long the history grows; `where` (SQL over the settlements) narrows them, and
    only `columns` are read (a city's year is 13.5 M settlements: the window's totals leave
    out the county's text). A settlement delivered again replaces the earlier copy;
    copies repeat only across deliveries (ingest quarantines them within one), so only ids
    delivered twice are grouped, and no copy is sorted.
    """
    first = first_window_delivery(period_as_of(period), days)
    listed = ", ".join(columns)
    current = con.sql(
        f"""
        WITH delivered AS NOT MATERIALIZED (  -- each use pushes its own filters into the scan
            SELECT {listed}, delivery_period FROM ingested.medical
            WHERE delivery_period BETWEEN $first AND $period AND ({where})
        ),
        replaced AS (
            SELECT settlement_id, max(delivery_period) AS latest FROM delivered
            GROUP BY settlement_id HAVING count(*) > 1
        )
        SELECT {", ".join(f"d.{c}" for c in columns)} FROM delivered d ANTI JOIN replaced r
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
        f"SELECT {listed} FROM ingested.medical WHERE delivery_period < ? "
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


def load_inputs(
    con: duckdb.DuckDBPyConnection,
    period: str,
    windows: tuple[int, ...],
    reuse: bool = True,
    keep: bool = True,
) -> Inputs:
    """Latest snapshot of each source up to `period` (the columns the rules read of the
    large ones); the medical window's totals for each of `windows` (advanced from the
    previous period's when `reuse`, and kept for the next when `keep`)."""
    delivered = deliveries(con, period)
    funeral = load_funeral(con, period) if delivered["funeral"] else None
    return Inputs(
        period=period,
        as_of=period_as_of(period),
        hukou=snapshot(con, "hukou", period, HUKOU_COLUMNS),
        disability=snapshot(con, "disability", period),
        lowincome=snapshot(con, "lowincome", period),
        lowincome_invalid=snapshot(con, "lowincome_invalid_ids", period),
        medical={days: medical_totals(con, period, days, reuse, keep) for days in windows},
        medical_counties=medical.latest_counties(
            load_settlements(con, period, max(windows, default=0), UNREGISTERED)
        ),
        eldercare=snapshot(con, "eldercare", period, ELDERCARE_COLUMNS)
        if delivered["eldercare"]
        else None,
        funeral=funeral,
        funeral_members=None if funeral is None else load_funeral_members(con, period, funeral),
        deliveries=delivered,
    )


# the settlements whose county may place a case: of people the latest hukou snapshot lacks
# (everyone it holds has a town there: 乡镇街道代码 is required)
UNREGISTERED = (
    "person_key NOT IN (SELECT person_key FROM ingested.hukou WHERE period = "
    "(SELECT max(period) FROM ingested.hukou WHERE period <= $period))"
)


def medical_totals(
    con: duckdb.DuckDBPyConnection, period: str, days: int, reuse: bool, keep: bool
) -> pl.DataFrame:
    """Each person's window totals (crossmatch/medical.py): advanced from the latest earlier
    period's kept totals when there are any (and `reuse`), else from the settlements."""
    as_of = period_as_of(period)
    digests = medical.delivery_digests(con, period)
    kept = medical.latest_saved(con, period, days, digests) if reuse else None
    if kept is None:
        settlements = load_settlements(con, period, days, columns=medical.SHARE_COLUMNS)
        found = medical.totals(settlements, as_of, days)
    else:
        earlier, previous = kept
        before_as_of = period_as_of(earlier)
        old = (medical.window_start(before_as_of, days), before_as_of)
        new = (medical.window_start(as_of, days), as_of)
        changed = medical.changed_ids(con, earlier, period)
        found = medical.advance(
            previous,
            medical.shares(medical.copies(con, changed, earlier)),
            medical.shares(medical.copies(con, changed, period)),
            medical.days_leaving(con, earlier, old[0], min(new[0], old[1])),
            changed,
            (old, new),
        )
    if keep:
        medical.save(con, period, days, found, digests)
    return found
