"""The funeral homes' extract (extracts.md, `funeral`), on hand-written files built from the
contract's words: its dirt, its quarantine reasons, records dated after as_of, a repeated
业务编号, and an inbox that has never had it."""

import duckdb

from ingest.arrivals import complete_periods
from ingest.delivery import ingest_source
from ingest.load import stand_in
from sources import SOURCES

HEADER = (
    "业务编号,逝者公民身份号码,逝者姓名,死亡日期,火化日期,殡仪馆,死亡证明编号,惠民殡葬减免,减免金额"
)
A, B, C = "321302194001011231", "321311193505051239", "11010519491231002x"
A_FILE = [
    f'BZ1,{A},张一,2026年10月3日,2026-10-05,宿迁市殡仪馆,SW1,是,"1,200.00"',  # 2
    f"BZ2,{B[:6]}{B[8:17]},李二,20261012,,沭阳县殡仪馆,,否,0",  # 3: 15-digit; body donated
    f"BZ3,{C},王三,2026-11-02,2026-11-04,宿迁市殡仪馆,,否,",  # 4: after as_of: kept
    "BZ4,321302194001011231,张一,2026-10-09,2026-10-08,宿迁市殡仪馆,,否,",  # 5: died after cremation
    "BZ5,321302195001011236,赵四,2026-10-01,,宿迁市殡仪馆,,也许,",  # 6: 惠民殡葬减免 unknown
    "BZ1,321302194001011231,张一,2026-10-04,2026-10-05,宿迁市殡仪馆,SW1,是,1200",  # 7: BZ1 again
]


def _deliver(tmp_path, key):
    folder = tmp_path / "inbox" / "2026-10" / "funeral"
    folder.mkdir(parents=True)
    text = HEADER + "\n" + "\n".join(A_FILE) + "\n"
    (folder / "a.csv").write_bytes(text.encode("gb18030"))
    return ingest_source("funeral", "2026-10", folder, tmp_path / "inbox", key)


def test_funeral_rows_are_normalised_and_quarantined_with_reasons(tmp_path, key):
    """extracts.md: "A 死亡日期 after 火化日期 is a quality finding (the row is quarantined). A
    record whose 死亡日期 is after the period's as_of ... is kept"; the same 业务编号 twice:
    the later copy stands."""
    delivery = _deliver(tmp_path, key)
    quarantined = {
        r["row_number"]: r["reason"] for r in delivery.vault["quarantine"].iter_rows(named=True)
    }
    assert quarantined == {2: "DUPLICATE_CASE_NO", 5: "DEATH_AFTER_CREMATION", 6: "CODE_UNKNOWN"}
    acc = delivery.accounting
    assert (acc["rows_read"] == acc["rows_loaded"] + acc["rows_quarantined"]).all()
    table = delivery.table("funeral").sort("source_row")
    rows = {r["source_row"]: r for r in table.iter_rows(named=True)}
    assert set(rows) == {3, 4, 7}
    assert str(rows[7]["death_date"]) == "2026-10-04" and rows[7]["fee_waived"]
    assert rows[7]["waived_fen"] == 120_000
    assert rows[3]["cremation_date"] is None and not rows[3]["fee_waived"]
    assert str(rows[4]["death_date"]) == "2026-11-02"  # kept for the period it falls in
    assert "id_number" not in table.columns and "name" not in table.columns


def test_an_inbox_that_never_had_funeral_still_runs_and_the_sensor_does_not_wait(tmp_path):
    """extracts.md: "a run on an inbox that has never had an eldercare or funeral delivery
    still runs, its rules that need them are skipped and the run says so"."""
    assert stand_in(duckdb.connect(), SOURCES["funeral"], "2026-10") == (
        "never delivered up to 2026-10"
    )
    for source in ("hukou", "medical", "disability", "lowincome"):
        (tmp_path / "2026-10" / source).mkdir(parents=True)
        (tmp_path / "2026-10" / source / "a.csv").write_text("x")
    assert list(complete_periods(tmp_path)) == ["2026-10"]
    assert not SOURCES["funeral"].required
