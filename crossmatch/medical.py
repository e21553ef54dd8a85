"""What the rules read of the medical settlements: per person, out-of-pocket spending and
inpatient stays over a window of days ending at the period's as_of, maintained month to month.

The window's totals are a sum of each settlement's share: its out-of-pocket fen on its
*effective day* (a reversal takes its original's date, so a refund never leaves a bill in
the window without its netting) and one stay for an inpatient settlement no reversal
refunds. A month changes only the shares of the settlements it delivers and of those they
link to (originals, reversals), and moves the window past one month of days; so a month's
totals are last month's, minus the old shares of those settlements and of the days that
left the window, plus their new shares (`advance`) — read from the month's own deliveries
and a month of old days, not from a year of settlements. The totals are kept per period
in `leads.medical_window` (pseudonymous); `totals` computes the same from the settlements
themselves (the first month, a period run out of order, `doudi run --recompute`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import TypeVar

import duckdb
import polars as pl

from doudi_core.warehouse import replace_rows, table_exists

Frame = TypeVar("Frame", pl.DataFrame, pl.LazyFrame)  # the sums work on either

INPATIENT = "住院"
STATE = "leads.medical_window"
STATE_PERIODS = "leads.medical_window_periods"  # which periods' totals are kept, and on what
# what a settlement's share needs (the insured county is the placement's, see `counties`)
SHARE_COLUMNS = (
    "settlement_id",
    "reverses_id",
    "person_key",
    "care_type",
    "settlement_date",
    "oop_fen",
)
TOTALS_SCHEMA = {
    "person_key": pl.Int64,
    "oop_fen": pl.Int64,
    "inpatient_stays": pl.Int64,
    "settlements": pl.Int64,  # the shares summed: a person with none left leaves the totals
}


def shares(settlements: pl.DataFrame) -> pl.DataFrame:
    """Each settlement's share of the window sums, on its effective day: (settlement_id,
    person_key, day, oop_fen, stay). Reads the current copy of every settlement given, so
    a settlement's share is right when its original and its reversals are given too."""
    return _shares(settlements).collect()


def _shares(settlements: pl.DataFrame) -> pl.LazyFrame:
    """`shares`, not yet computed (a year of a city's settlements is 13.5 M rows: the
    window's totals sum them without holding them twice)."""
    lazy = settlements.lazy()
    plain = lazy.filter(pl.col("reverses_id").is_null())
    reversing = lazy.filter(pl.col("reverses_id").is_not_null())
    refunded = reversing.select(pl.col("reverses_id").alias("settlement_id")).unique()
    originals = plain.join(refunded, on="settlement_id", how="semi").select(
        pl.col("settlement_id").alias("reverses_id"),
        pl.col("settlement_date").alias("original_date"),
    )
    stays = plain.join(
        refunded.with_columns(_refunded=pl.lit(True)), on="settlement_id", how="left"
    )
    plain_shares = stays.select(
        "settlement_id",
        "person_key",
        pl.col("settlement_date").alias("day"),
        "oop_fen",
        ((pl.col("care_type") == INPATIENT) & pl.col("_refunded").is_null())
        .cast(pl.Int64)
        .alias("stay"),
    )
    reversal_shares = reversing.join(originals, on="reverses_id", how="left").select(
        "settlement_id",
        "person_key",
        pl.coalesce("original_date", "settlement_date").alias("day"),
        "oop_fen",
        pl.lit(0, dtype=pl.Int64).alias("stay"),
    )
    return pl.concat([plain_shares, reversal_shares])


def window_start(as_of: dt.date, days: int) -> dt.date:
    """The window is the `days` days after this date, through as_of."""
    return as_of - dt.timedelta(days=days)


def summed(shares_in: Frame, sign: int = 1) -> Frame:
    """Shares summed per person (`sign` -1: to be taken away)."""
    return shares_in.group_by("person_key").agg(
        (pl.col("oop_fen").sum() * sign).alias("oop_fen"),
        (pl.col("stay").sum() * sign).cast(pl.Int64).alias("inpatient_stays"),
        (pl.len().cast(pl.Int64) * sign).alias("settlements"),
    )


def in_window(frame: Frame, start: dt.date, end: dt.date) -> Frame:
    return frame.filter((pl.col("day") > start) & (pl.col("day") <= end))


def totals(settlements: pl.DataFrame, as_of: dt.date, days: int) -> pl.DataFrame:
    """Per person with a settlement in the window: out-of-pocket fen (reversals netted) and
    inpatient stays, from every settlement's current copy."""
    window = in_window(_shares(settlements), window_start(as_of, days), as_of)
    return _tidy(summed(window).collect(engine="streaming"))


def _tidy(frame: pl.DataFrame) -> pl.DataFrame:
    """People with a share in the window, in no particular order (the leads are sorted)."""
    return frame.filter(pl.col("settlements") != 0).select(*TOTALS_SCHEMA)


def advance(
    previous: pl.DataFrame,
    before: pl.DataFrame,
    after: pl.DataFrame,
    leaving: pl.DataFrame,
    changed: pl.DataFrame,
    windows: tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date]],
) -> pl.DataFrame:
    """This period's totals from the previous period's (`previous`, over the window
    `windows[0]`): the `changed` settlements' shares as they were (`before`, read up to the
    previous delivery) taken away where they counted, their shares now (`after`) added where
    they count (`windows[1]`), and the other settlements' shares on the days that left the
    window (`leaving`: every share on those days, and only those, as it was: `days_leaving`)
    taken away. `changed`: the settlements' `settlement_id` (`changed_ids`)."""
    old, new = windows
    changed_shares = [  # as they were, where they counted; as they are, where they count
        summed(in_window(before.join(changed, on="settlement_id", how="semi"), *old), -1),
        summed(in_window(after.join(changed, on="settlement_id", how="semi"), *new)),
    ]
    left = summed(leaving.join(changed, on="settlement_id", how="anti"), -1)
    change = pl.concat([frame.select(*TOTALS_SCHEMA) for frame in [*changed_shares, left]])
    return _tidy(_plus(previous, change.group_by("person_key").agg(pl.all().sum())))


def _plus(totals: pl.DataFrame, change: pl.DataFrame) -> pl.DataFrame:
    """`totals` with `change` added, person by person (a person may be in either alone).

    A city's totals are 5 M people and a month changes ~1.6 M of them: joining the change
    on is cheaper than grouping them all again (see docs/decisions.md, Measured choices)."""
    sums = [column for column in TOTALS_SCHEMA if column != "person_key"]
    kept = totals.join(change, on="person_key", how="left", suffix="_change").select(
        "person_key", *[(pl.col(c) + pl.col(f"{c}_change").fill_null(0)).alias(c) for c in sums]
    )
    new = change.join(totals, on="person_key", how="anti").select(*TOTALS_SCHEMA)
    return pl.concat([kept, new])


# --- the warehouse ------------------------------------------------------------------


def _linked(given: str) -> str:
    """SQL CTEs ending in `linked`: the settlements of the CTE `given` (settlement_id), the
    originals any copy of them up to $upto reverses and the settlements reversing them."""
    return f"""
        WITH given AS ({given}),
        upto AS NOT MATERIALIZED (
            SELECT {", ".join(SHARE_COLUMNS)}, delivery_period FROM ingested.medical
            WHERE delivery_period <= $upto
        ),
        linked AS (
            SELECT settlement_id FROM given
            UNION SELECT u.reverses_id FROM upto u SEMI JOIN given USING (settlement_id)
                WHERE u.reverses_id IS NOT NULL
            UNION SELECT u.settlement_id FROM upto u SEMI JOIN given g
                ON u.reverses_id = g.settlement_id
        )
    """


def copies(con: duckdb.DuckDBPyConnection, ids: pl.DataFrame, upto: str) -> pl.DataFrame:
    """The current copy (latest delivery up to `upto`) of each settlement in `ids`, of the
    originals they reverse and of the settlements reversing them: what their shares need."""
    return con.sql(  # `ids` is read by its Python name
        _linked("SELECT DISTINCT settlement_id FROM ids")
        + f"""
        SELECT {", ".join(SHARE_COLUMNS)} FROM upto SEMI JOIN linked USING (settlement_id)
        QUALIFY row_number() OVER (PARTITION BY settlement_id ORDER BY delivery_period DESC) = 1
        """,
        params={"upto": upto},
    ).pl()


def changed_ids(con: duckdb.DuckDBPyConnection, after: str, upto: str) -> pl.DataFrame:
    """The settlements whose shares deliveries after `after` up to `upto` may change: those
    delivered and the settlements linked to them (`_linked`)."""
    delivered = (
        "SELECT DISTINCT settlement_id FROM ingested.medical "
        "WHERE delivery_period > $after AND delivery_period <= $upto"
    )
    return con.sql(
        _linked(delivered) + "SELECT settlement_id FROM linked",
        params={"after": after, "upto": upto},
    ).pl()


def days_leaving(
    con: duckdb.DuckDBPyConnection, upto: str, start: dt.date, end: dt.date
) -> pl.DataFrame:
    """Every share, as of the deliveries up to `upto`, whose effective day is in (start, end]:
    the settlements dated then and those linked to them (a reversal takes its original's
    date)."""
    dated = con.sql(
        "SELECT DISTINCT settlement_id FROM ingested.medical "
        "WHERE delivery_period <= $upto AND settlement_date > $start AND settlement_date <= $end",
        params={"upto": upto, "start": start, "end": end},
    ).pl()
    return in_window(shares(copies(con, dated, upto)), start, end)


def delivery_digests(con: duckdb.DuckDBPyConnection, upto: str) -> list[tuple]:
    """Per delivery up to `upto`: its period, rows and a sum of their hashes (one scan)."""
    return con.sql(
        "SELECT delivery_period, count(*), sum(hash(settlement_id, reverses_id, person_key, "
        "care_type, settlement_date, oop_fen))::VARCHAR FROM ingested.medical "
        "WHERE delivery_period <= ? GROUP BY delivery_period ORDER BY delivery_period",
        params=[upto],
    ).fetchall()


def deliveries_digest(digests: list[tuple], upto: str) -> str:
    """A digest of every settlement delivered up to `upto` (of `delivery_digests` up to a
    later period, or to it): kept totals are advanced only from the deliveries they were
    computed on (a month loaded again since changes them)."""
    kept = [row for row in digests if row[0] <= upto]
    return hashlib.sha256(repr(kept).encode()).hexdigest()[:32]


def latest_saved(
    con: duckdb.DuckDBPyConnection, period: str, days: int, digests: list[tuple] | None = None
) -> tuple[str, pl.DataFrame] | None:
    """The latest period before `period` whose totals for this window are kept, computed by
    this code on the deliveries up to it as they are now (`digests`: `delivery_digests` up
    to at least that period), and those totals; or None."""
    if not table_exists(con, *STATE_PERIODS.split(".")):
        return None
    found = con.sql(
        f"SELECT period, deliveries, code FROM {STATE_PERIODS} WHERE window_days = ? "
        "AND period < ? ORDER BY period DESC LIMIT 1",
        params=[days, period],
    ).fetchall()
    if not found:
        return None
    earlier, deliveries, code = found[0]
    digests = delivery_digests(con, earlier) if digests is None else digests
    if code != code_id() or deliveries != deliveries_digest(digests, earlier):
        return None
    kept = con.sql(
        f"SELECT * EXCLUDE (period, window_days) FROM {STATE} WHERE period = ? AND window_days = ?",
        params=[earlier, days],
    ).pl()
    return earlier, kept.select(*TOTALS_SCHEMA)


def code_id() -> str:
    """The code that computes the totals: totals kept by other code are not advanced."""
    digest = hashlib.sha256()
    for module in ("medical.py", "inputs.py"):
        digest.update((Path(__file__).parent / module).read_bytes())
    return digest.hexdigest()[:16]


def save(
    con: duckdb.DuckDBPyConnection,
    period: str,
    days: int,
    frame: pl.DataFrame,
    digests: list[tuple],
) -> None:
    """Keep the period's totals, with the digest of the deliveries they were computed on
    (`digests`: `delivery_digests` up to the period), and only the two latest periods' (a
    period run again advances from the one before it)."""
    rows = frame.select(pl.lit(period).alias("period"), pl.lit(days).alias("window_days"), pl.all())
    marker = pl.DataFrame(
        {
            "period": [period],
            "window_days": [days],
            "deliveries": [deliveries_digest(digests, period)],
            "code": [code_id()],
        }
    )
    replace_rows(con, STATE, rows, {"period": period, "window_days": days})
    replace_rows(con, STATE_PERIODS, marker, {"period": period, "window_days": days})
    for table in (STATE, STATE_PERIODS):
        con.execute(
            f"DELETE FROM {table} WHERE window_days = $days AND period < ("
            f"SELECT min(period) FROM (SELECT period FROM {STATE_PERIODS} "
            "WHERE window_days = $days ORDER BY period DESC LIMIT 2))",
            {"days": days},
        )


def latest_counties(settlements: pl.DataFrame) -> pl.DataFrame:
    """Per person, the insured county of their latest settlement (by date, then number):
    where a case is handled when nothing else places it (crossmatch/placement.py)."""
    return (
        settlements.sort("settlement_date", "settlement_id")
        .group_by("person_key")
        .agg(pl.col("insured_county_code").last())
        .sort("person_key")
    )
