"""The benchmark's SQL yardstick (benchmarks/sql_rules.py) on hand-written tables: it must
implement the rules as the polars rules do, edges included."""

import datetime as dt

import duckdb
import polars as pl

from benchmarks import sql_rules
from doudi_core.config import load_config
from tests import builders as b

BILL = {"settlement_id": "s1", "person_key": 1, "oop_fen": 3_000_000}  # 30,000 yuan


def _warehouse(hukou_rows: list[dict], funeral_rows: list[dict] | None = None):
    con = duckdb.connect()
    con.execute("CREATE SCHEMA ingested")
    tables = {
        "medical": b.settlements(BILL),
        "lowincome": b.lowincome({"person_key": 99}),
        "hukou": b.hukou(*hukou_rows),
    }
    if funeral_rows is not None:
        tables["funeral"] = b.funeral(*funeral_rows).with_columns(delivery_period=pl.lit(b.PERIOD))
    for name, frame in tables.items():
        con.register("frame", frame)
        con.execute(f"CREATE TABLE ingested.{name} AS SELECT * FROM frame")
        con.unregister("frame")
    return con


def test_a_large_bill_raises_med_oop_uncovered_in_sql():
    con = _warehouse([{"person_key": 1}])
    assert sql_rules.med_oop_uncovered(con, b.PERIOD, load_config()) == {1}


def test_no_lead_in_sql_on_a_person_deceased_at_as_of():
    """rules.md: a person *deceased* at as_of (hukou 死亡 dated on or before as_of, or a
    funeral record whose 死亡日期 is on or before it) gets no lead but the death rules'."""
    register = [{"person_key": 1, "status": "死亡", "status_date": dt.date(2026, 10, 2)}]
    assert sql_rules.med_oop_uncovered(_warehouse(register), b.PERIOD, load_config()) == set()
    homes = [{"person_key": 1, "death_date": dt.date(2026, 10, 30)}]
    con = _warehouse([{"person_key": 1}], homes)
    assert sql_rules.med_oop_uncovered(con, b.PERIOD, load_config()) == set()
    after = [{"person_key": 1, "death_date": dt.date(2026, 11, 2)}]  # after as_of: alive then
    con = _warehouse([{"person_key": 1}], after)
    assert sql_rules.med_oop_uncovered(con, b.PERIOD, load_config()) == {1}
