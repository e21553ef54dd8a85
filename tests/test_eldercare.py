"""The elder-services extract (extracts.md, `eldercare`), on hand-written files built from the
contract's words: its dirt, its duplicate rule, its dates after as_of, its gates, and an
inbox that has never had it."""

from functools import partial

import duckdb
import pytest

from doudi_core.config import load_config
from doudi_core.warehouse import DUCKDB_CONFIG
from doudi_core.warehouse import connect as warehouse_connect
from expectations.gates import run_gate
from expectations.validate import Validator
from ingest.delivery import ingest_source
from ingest.load import NothingStands, load_delivery, stand_in
from sources import SOURCES

ELDERCARE = SOURCES["eldercare"]
HEADER = (
    "公民身份号码,姓名,服务项目,状态,开始日期,停发日期,月发放金额,最近日期,评估等级,乡镇街道代码"
)
A, B, C = "321302194001011231", "321311193505051239", "11010519491231002x"
A_FILE = [
    f"{A},张一,尊老金,在发,2026年1月5日,,100.00,,,321302001",  # 2
    f"{A},张一,能力评估,,,,,2026-11-03,3,321302001",  # 3: after as_of, still within the period
    f"{A},张一,探访关爱,,,,,2026-10-12,,321302001",  # 4: the later visit stands
    f"{A},张一,探访关爱,,,,,2026-09-01,,321302001",  # 5: DUPLICATE_SERVICE
    f'{B},李二,护理补贴,停发,2025-01-01,2026-06-30,"1,200.00",,,321311002',  # 6: tie, earlier row
    f'{B},李二,护理补贴,停发,2025-01-01,2026-06-30,"1,200.00",,,321311002',  # 7: exact copy
    f"{B},李二,尊老金,,2025-01-01,,50,,,321311002",  # 8: a payment without 状态
    f"{B},李二,能力评估,,,,,2026-08-01,六级,321311002",  # 9: not a grade of GB/T 42195
    f"{C},王三,能力评估,,,,,,重度失能,321302001",  # 10: blank date, an earlier file
]
B_FILE = [
    f"{C},王三,能力评估,,,,,,2,321302001",  # 2: the same blank date in a later file stands
    f"{B},李二,护理补贴,在发,2025-01-01,2026-06-30,-30,,,321311002",  # 3: 停发日期 while 在发
]


def _deliver(tmp_path, key):
    folder = tmp_path / "inbox" / "2026-10" / "eldercare"
    folder.mkdir(parents=True)
    (folder / "a.csv").write_bytes((HEADER + "\n" + "\n".join(A_FILE) + "\n").encode("gb18030"))
    (folder / "b.csv").write_text(HEADER + "\n" + "\n".join(B_FILE) + "\n", encoding="utf-8-sig")
    return ingest_source("eldercare", "2026-10", folder, tmp_path / "inbox", key)


def test_eldercare_rows_are_normalised_and_the_contracts_duplicate_rule_applied(tmp_path, key):
    """extracts.md: "The same person (normalised number) and service twice in one snapshot is
    a duplicate: the row with the later 最近日期 (or 开始日期) stands — on equal or blank dates
    the later file, then the later row — and the other is quarantined"."""
    delivery = _deliver(tmp_path, key)
    quarantined = {
        (r["file"], r["row_number"]): r["reason"]
        for r in delivery.vault["quarantine"].iter_rows(named=True)
    }
    assert quarantined == {
        ("a.csv", 5): "DUPLICATE_SERVICE",
        ("a.csv", 7): "DUPLICATE_ROW",
        ("a.csv", 6): "DUPLICATE_SERVICE",
        ("a.csv", 8): "REQUIRED_VALUE_MISSING",
        ("a.csv", 9): "CODE_UNKNOWN",
        ("a.csv", 10): "DUPLICATE_SERVICE",
    }
    acc = delivery.accounting
    assert (acc["rows_read"] == acc["rows_loaded"] + acc["rows_quarantined"]).all()
    table = delivery.table("eldercare").sort("source_file", "source_row")
    loaded = {(r["source_file"], r["source_row"]): r for r in table.iter_rows(named=True)}
    assert set(loaded) == {("a.csv", 2), ("a.csv", 3), ("a.csv", 4), ("b.csv", 2), ("b.csv", 3)}
    assert loaded[("a.csv", 3)]["assessment_grade"] == "重度失能"  # the code 3
    assert str(loaded[("a.csv", 3)]["last_date"]) == "2026-11-03"  # kept, not quarantined
    assert loaded[("b.csv", 2)]["assessment_grade"] == "中度失能"
    assert loaded[("a.csv", 2)]["monthly_fen"] == 10_000
    assert "id_number" not in table.columns and "name" not in table.columns


def test_eldercare_gates_warn_on_late_dates_stop_dates_and_negative_amounts(tmp_path, key):
    delivery = _deliver(tmp_path, key)
    warehouse = tmp_path / "w.duckdb"

    connect = partial(warehouse_connect, warehouse)

    with connect() as con:
        load_delivery(con, delivery)
    validator, config = Validator(duckdb_config=DUCKDB_CONFIG), load_config()
    report = run_gate(warehouse, connect, "eldercare", "2026-10", config, validator, blocking=False)
    failed = {f.what: f.unexpected_count for f in report.warnings if not f.success}
    # "a 最近日期 after the period's as_of counts as within the period, and a warning counts such rows"
    assert failed[ELDERCARE.late_dates["last_date"]] == 1  # kept, and counted
    assert failed["停发日期 only on a row whose 状态 is 停发"] == 1
    assert failed["月发放金额 not negative"] == 1
    assert "service within its code table" not in failed


def test_an_inbox_that_never_had_eldercare_still_runs_and_says_so():
    """extracts.md: "a run on an inbox that has never had an eldercare or funeral delivery
    still runs, its rules that need them are skipped and the run says so"."""
    con = duckdb.connect()
    note = stand_in(con, ELDERCARE, "2026-10")
    assert note == "never delivered up to 2026-10"
    with pytest.raises(NothingStands, match="hukou: no delivery for 2026-10"):
        stand_in(con, SOURCES["hukou"], "2026-10")


def test_the_arrival_sensor_does_not_wait_for_eldercare(tmp_path):
    from ingest.arrivals import complete_periods

    for source in ("hukou", "medical", "disability", "lowincome"):
        (tmp_path / "2026-10" / source).mkdir(parents=True)
        (tmp_path / "2026-10" / source / "a.csv").write_text("x")
    assert list(complete_periods(tmp_path)) == ["2026-10"]
    assert not ELDERCARE.required and all(
        s.required for n, s in SOURCES.items() if n not in ("eldercare", "funeral")
    )
