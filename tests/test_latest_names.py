"""The kept latest names (`ingest.latest_names`) against the look-up they replace: each
person's name from the latest delivery of each source up to the period, read from every
period of `vault.people`. Random histories of new months, months loaded again, backfills
and cleared months."""

from __future__ import annotations

import random

import duckdb
import polars as pl
import pytest

from doudi_core.warehouse import replace_rows, table_exists
from ingest import latest_names

PERIODS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]
SOURCES = ["hukou", "medical"]
NAMES = ["张三", "李四", "王五", None]


def _load(con, source: str, period: str, people: dict[int, str | None]) -> None:
    """What `load_delivery` does with a delivery's names."""
    frame = pl.DataFrame(
        {
            "period": [period] * len(people),
            "source": [source] * len(people),
            "person_key": list(people),
            "name": list(people.values()),
        },
        schema={
            "period": pl.String,
            "source": pl.String,
            "person_key": pl.Int64,
            "name": pl.String,
        },
    )
    replace_rows(con, "vault.people", frame, {"period": period, "source": source})
    latest_names.record(con, source, period, frame)


def _by_reading_every_period(con, period: str) -> list[tuple]:
    return sorted(
        con.sql(
            "SELECT person_key, source, name FROM vault.people WHERE period <= ? "
            "QUALIFY row_number() OVER (PARTITION BY person_key, source ORDER BY period DESC) = 1",
            params=[period],
        ).fetchall(),
        key=repr,
    )


def _looked_up(con, period: str) -> list[tuple]:
    """Sorted, not a set: a person named twice by one source is an error the look-up shows."""
    everyone = pl.DataFrame({"person_key": range(40)})
    con.register("everyone", everyone)
    try:
        return sorted(latest_names.names(con, "everyone", period).rows(), key=repr)
    finally:
        con.unregister("everyone")


def _kept_up_to(con) -> str | None:
    if not table_exists(con, "vault", "latest_names_periods"):
        return None
    return con.sql("SELECT max(period) FROM vault.latest_names_periods").fetchall()[0][0]


@pytest.mark.parametrize("seed", range(12))
def test_kept_latest_names_equal_reading_every_period(seed):
    rng = random.Random(seed)
    con = duckdb.connect()
    con.execute("CREATE SCHEMA vault")  # as the warehouse's first run leaves it
    con.execute(
        "CREATE TABLE vault.people (period VARCHAR, source VARCHAR, person_key BIGINT, name VARCHAR)"
    )
    from_kept = 0
    for _ in range(25):
        source, period = rng.choice(SOURCES), rng.choice(PERIODS)
        if rng.random() < 0.2:
            latest_names.forget(con, source, period)
        else:
            keys = rng.sample(range(12), rng.randint(0, 12))
            _load(con, source, period, {k: rng.choice(NAMES) for k in keys})
        for asked in PERIODS:
            assert _looked_up(con, asked) == _by_reading_every_period(con, asked), (seed, asked)
            from_kept += _kept_up_to(con) is not None and _kept_up_to(con) <= asked
    assert from_kept > 0  # the kept names answered, not only the fall-back


def test_a_month_in_order_changes_only_the_renamed_and_the_new():
    """A routine month: a person named as before keeps the row of the month that first named
    them so; a renamed person's row is that month's."""
    con = duckdb.connect()
    _load(con, "hukou", "2026-09", {1: "张三", 2: "李四"})
    _load(con, "hukou", "2026-10", {1: "张三", 2: "李思", 3: "王五"})
    kept = con.sql("SELECT person_key, name, since FROM vault.latest_names ORDER BY 1").fetchall()
    assert kept == [(1, "张三", "2026-09"), (2, "李思", "2026-10"), (3, "王五", "2026-10")]


def test_a_backfill_is_answered_as_of_its_own_month():
    """A month run again after a later one was loaded sees the names up to it, not later."""
    con = duckdb.connect()
    _load(con, "hukou", "2026-09", {1: "张三"})
    _load(con, "hukou", "2026-10", {1: "张叁"})
    assert _looked_up(con, "2026-09") == [(1, "hukou", "张三")]
    assert _looked_up(con, "2026-10") == [(1, "hukou", "张叁")]


def test_a_warehouse_from_before_the_kept_names_gets_them_at_its_next_load():
    con = duckdb.connect()
    _load(con, "hukou", "2026-09", {1: "张三", 2: "李四"})
    con.execute("DROP TABLE vault.latest_names")
    con.execute("DROP TABLE vault.latest_names_periods")
    assert _looked_up(con, "2026-10") == [(1, "hukou", "张三"), (2, "hukou", "李四")]
    _load(con, "medical", "2026-10", {2: "李四"})
    assert con.sql("SELECT count(*) FROM vault.latest_names").fetchall() == [(3,)]
    assert _looked_up(con, "2026-10") == _by_reading_every_period(con, "2026-10")
