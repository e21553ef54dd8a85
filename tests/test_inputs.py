"""The settlements the rules read: the window's deliveries, latest copies, reversals' originals."""

import datetime as dt
import random

import duckdb
import polars as pl
import pytest

from crossmatch.inputs import SETTLEMENT_COLUMNS, load_settlements, out_of_pocket
from doudi_core.period import as_of
from tests import builders as b

PERIOD = "2026-10"
DAYS = 365


def _warehouse(rows: pl.DataFrame) -> duckdb.DuckDBPyConnection:
    if "person_key" not in rows.columns:
        rows = rows.with_columns(person_key=pl.lit(1, dtype=pl.Int64))
    con = duckdb.connect()
    con.execute("CREATE SCHEMA ingested")
    con.execute("CREATE TABLE ingested.medical AS SELECT * FROM rows")
    return con


def _every_latest_copy(con: duckdb.DuckDBPyConnection, period: str) -> pl.DataFrame:
    """The plain reading of extracts.md: every delivery up to the period, latest copy wins."""
    return con.sql(
        f"SELECT {', '.join(SETTLEMENT_COLUMNS)} FROM ingested.medical WHERE delivery_period <= ? "
        "QUALIFY row_number() OVER (PARTITION BY settlement_id ORDER BY delivery_period DESC) = 1",
        params=[period],
    ).pl()


def _ids(frame: pl.DataFrame) -> dict[str, int]:
    return dict(frame.select("settlement_id", "oop_fen").iter_rows())


def test_the_window_deliveries_latest_copies_and_old_originals_of_reversals():
    rows = b.settlements(
        # delivered long before the window: not read
        {
            "settlement_id": "old",
            "delivery_period": "2025-03",
            "settlement_date": dt.date(2025, 2, 1),
        },
        # delivered twice in the window: the later copy replaces the earlier
        {"settlement_id": "twice", "delivery_period": "2026-09", "oop_fen": 100},
        {"settlement_id": "twice", "delivery_period": "2026-10", "oop_fen": 200},
        # first delivered before the window, delivered again inside it
        {"settlement_id": "back", "delivery_period": "2025-03", "oop_fen": 1},
        {"settlement_id": "back", "delivery_period": "2026-05", "oop_fen": 2},
        # a reversal in the window of a settlement delivered before it: the original is read
        {
            "settlement_id": "orig",
            "delivery_period": "2025-01",
            "oop_fen": 500,
            "settlement_date": dt.date(2024, 12, 20),
        },
        {
            "settlement_id": "orig",
            "delivery_period": "2025-02",
            "oop_fen": 600,
            "settlement_date": dt.date(2024, 12, 20),
        },
        {
            "settlement_id": "rev",
            "delivery_period": "2026-10",
            "oop_fen": -600,
            "reverses_id": "orig",
            "settlement_date": dt.date(2026, 10, 3),
        },
        # delivered after the period (a back-filled run of an earlier month): not read
        {"settlement_id": "later", "delivery_period": "2026-11"},
    )
    loaded = load_settlements(_warehouse(rows), PERIOD, DAYS)
    assert _ids(loaded) == {"twice": 200, "back": 2, "orig": 600, "rev": -600}
    # the reversal took its original's date, before the window: neither counts
    assert out_of_pocket(loaded, as_of(PERIOD), DAYS)["oop_fen"].to_list() == [200 + 2]


def _random_history(seed: int) -> pl.DataFrame:
    """Settlements over three years of deliveries: late deliveries, copies delivered again
    with other dates and amounts, reversals delivered months later, for five people."""
    rng = random.Random(seed)
    months = [f"{y}-{m:02d}" for y in (2024, 2025, 2026) for m in range(1, 13)]
    months = months[: months.index("2026-12") + 1]
    rows = []

    def dated(period: str, earliest: dt.date) -> dt.date:
        latest = as_of(period)
        return earliest + dt.timedelta(days=rng.randint(0, max((latest - earliest).days, 0)))

    for i in range(rng.randint(5, 60)):
        first = rng.randrange(len(months))
        date = dated(months[first], as_of(months[first]) - dt.timedelta(days=rng.randint(0, 400)))
        person = rng.randint(1, 5)
        later = range(first, len(months))
        copies = [first, *sorted(rng.sample(later, min(rng.randint(0, 2), len(later))))]
        for k, index in enumerate(dict.fromkeys(copies)):
            changed = dated(months[index], date) if k and rng.random() < 0.5 else date
            rows.append(
                {
                    "settlement_id": f"s{i}",
                    "delivery_period": months[index],
                    "person_key": person,
                    "settlement_date": changed,
                    "oop_fen": rng.randint(1, 9) * 100_000,
                }
            )
        if rng.random() < 0.4:  # reversed, in the same delivery or a later one
            at = rng.randrange(first, len(months))
            rows.append(
                {
                    "settlement_id": f"r{i}",
                    "delivery_period": months[at],
                    "person_key": person,
                    "reverses_id": f"s{i}",
                    "settlement_date": dated(months[at], date),
                    "oop_fen": -rng.randint(1, 9) * 100_000,
                }
            )
    return b.settlements(*rows)


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("period", ["2025-06", "2026-10"])
def test_reading_the_window_only_gives_the_totals_of_reading_every_delivery(seed, period):
    con = _warehouse(_random_history(seed))
    window = out_of_pocket(load_settlements(con, period, DAYS), as_of(period), DAYS)
    everything = out_of_pocket(_every_latest_copy(con, period), as_of(period), DAYS)
    assert window.sort("person_key").equals(everything.sort("person_key"))
