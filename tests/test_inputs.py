"""The settlements the rules read: the window's deliveries, latest copies, reversals' originals."""

import datetime as dt
import random

import duckdb
import polars as pl
import pytest

from crossmatch import medical
from crossmatch.inputs import SETTLEMENT_COLUMNS, load_settlements, medical_totals
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
    assert medical.totals(loaded, as_of(PERIOD), DAYS)["oop_fen"].to_list() == [200 + 2]


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
                    # now and then a copy names another person
                    "person_key": rng.randint(1, 5) if k and rng.random() < 0.1 else person,
                    "care_type": rng.choice(["住院", "门诊"]),
                    "settlement_date": changed,
                    "oop_fen": rng.randint(1, 9) * 100_000,
                }
            )
        # reversed, in the same delivery or a later one (now and then an earlier one, or
        # twice, or the reversal delivered again)
        for j in range(rng.choice([0, 0, 1, 1, 2])):
            at = rng.randrange(max(first - 2, 0), len(months))
            again = [at, *([rng.randrange(at, len(months))] if rng.random() < 0.3 else [])]
            for index in dict.fromkeys(again):
                if date > as_of(months[index]):
                    continue  # ingest quarantines a settlement dated after its delivery
                rows.append(
                    {
                        "settlement_id": f"r{i}-{j}",
                        "delivery_period": months[index],
                        "person_key": person,
                        "reverses_id": f"s{i}",
                        "settlement_date": dated(months[index], date),
                        "oop_fen": -rng.randint(1, 9) * 100_000,
                    }
                )
    return b.settlements(*rows)


@pytest.mark.parametrize("seed", range(40))
@pytest.mark.parametrize("period", ["2025-06", "2026-10"])
def test_reading_the_window_only_gives_the_totals_of_reading_every_delivery(seed, period):
    con = _warehouse(_random_history(seed))
    window = medical.totals(load_settlements(con, period, DAYS), as_of(period), DAYS)
    everything = medical.totals(_every_latest_copy(con, period), as_of(period), DAYS)
    assert window.sort("person_key").equals(everything.sort("person_key"))


@pytest.mark.parametrize("seed", range(40))
def test_the_window_advanced_month_by_month_equals_the_window_computed_afresh(seed):
    """Issue 28: the 365-day window is maintained, not recomputed from every settlement,
    and equals the full computation over random deliveries, late settlements and reversals
    across months; periods are run in order, some skipped, some run twice, one a year on."""
    con = _warehouse(_random_history(seed))
    rng = random.Random(seed)
    months = [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)]
    runs = [m for m in months if rng.random() < 0.8]
    runs = sorted([*runs, *rng.sample(runs, 2)])  # two periods run again
    runs = [runs[0], *[m for m in runs[1:] if m >= "2026-03"]]  # and a leap of over a year
    advanced_runs = 0
    for period in runs:
        advanced_runs += medical.latest_saved(con, period, DAYS) is not None
        advanced = medical_totals(con, period, DAYS, reuse=True, keep=True)
        afresh = medical.totals(_every_latest_copy(con, period), as_of(period), DAYS)
        assert advanced.sort("person_key").equals(afresh.sort("person_key")), period
    assert advanced_runs == len(runs) - 1  # every run after the first advanced the window


def test_kept_totals_are_not_advanced_once_an_earlier_delivery_changed():
    """A month loaded again after the next month's totals were kept: those totals no longer
    describe the deliveries, so the window is computed afresh."""
    con = _warehouse(_random_history(3))
    medical_totals(con, "2026-05", DAYS, reuse=True, keep=True)
    assert medical.latest_saved(con, "2026-06", DAYS) is not None
    con.execute(
        "UPDATE ingested.medical SET oop_fen = oop_fen + 1 WHERE delivery_period = '2026-04'"
    )
    assert medical.latest_saved(con, "2026-06", DAYS) is None
