"""A new department is one module: a source declared here, in the test alone, is read,
normalised, quarantined, accounted, gated and loaded by the generic code untouched."""

from functools import partial

import polars as pl

from doudi_core.config import load_config
from doudi_core.warehouse import DUCKDB_CONFIG
from doudi_core.warehouse import connect as warehouse_connect
from expectations.gates import run_gate
from expectations.validate import Validator
from ingest import normalise as n
from ingest.delivery import ingest_source
from ingest.load import load_delivery
from ingest.values import map_code, parse_date
from sources import SOURCES
from sources.contract import TOWN_IN_CITY, Duplicate, Source, same

KIND = same("犬", "猫")


def _normalise(raw: pl.DataFrame, as_of) -> pl.DataFrame:
    town, town_checks = n.town()
    frame = n.start(
        raw,
        as_of,
        kind_code=map_code(pl.col("kind"), KIND),
        registered_on=parse_date(pl.col("registered"), n.serial_ok()),
    ).with_columns(town=town)
    checks = [
        (pl.col("_id_reason").is_not_null(), pl.col("_id_reason")),
        *n.code_checks("kind", "kind_code"),
        *n.date_checks("registered", "registered_on", as_of, required=True),
        *town_checks,
    ]
    return frame.with_columns(_reason=n.reason(checks)).collect()


PETS = Source(
    name="pets",
    label="畜牧 犬猫登记",
    columns={
        "公民身份号码": "id_number",
        "姓名": "name",
        "类别": "kind",
        "登记日期": "registered",
        "乡镇街道代码": "town_code",
    },
    normalise=_normalise,
    project=lambda: [
        "person_key",
        pl.col("kind_code").alias("kind"),
        pl.col("registered_on").alias("registered_on"),
        *n.town_columns(),
    ],
    duplicate=Duplicate("_id_number", "DUPLICATE_PERSON"),
    key_columns=("person_key",),
    code_tables={"kind": KIND},
    date_columns=("registered_on",),
    row_flags={"town_code_in_city": (TOWN_IN_CITY, "town codes inside the city's eight counties")},
)

ROWS = [
    "321302199001011234,张三,犬,2026-10-03,321302001",
    "321302199001011234,张三,犬,2026-10-03,321302001",  # an exact copy: DUPLICATE_ROW
    "11010519491231002X,王芳,猫,2026年9月5日,321311002",
    "321302199001011235,李四,猫,2026-10-01,321302001",  # a bad check digit
    "321311198505051231,赵五,鸟,2026-10-01,321302001",  # not in the code table
]


def test_a_source_declared_in_one_module_goes_through_ingest_gates_and_load(tmp_path, key):
    assert "pets" not in SOURCES  # declared here, not shipped
    folder = tmp_path / "inbox" / "2026-10" / "pets"
    folder.mkdir(parents=True)
    (folder / "a.csv").write_text(
        ",".join(PETS.columns) + "\n" + "\n".join(ROWS) + "\n", encoding="utf-8"
    )
    delivery = ingest_source(PETS, "2026-10", folder, tmp_path / "inbox", key)
    reasons = dict(delivery.vault["quarantine"].select("row_number", "reason").rows())
    assert reasons == {3: "DUPLICATE_ROW", 5: "ID_BAD_CHECK_DIGIT", 6: "CODE_UNKNOWN"}
    acc = delivery.accounting.row(0, named=True)
    assert (acc["rows_read"], acc["rows_loaded"], acc["rows_quarantined"]) == (5, 2, 3)
    assert "id_number" not in delivery.table("pets").columns  # pseudonyms only

    warehouse = tmp_path / "w.duckdb"

    connect = partial(warehouse_connect, warehouse)

    with connect() as con:
        load_delivery(con, delivery)
        loaded = con.sql(
            "SELECT kind, registered_on FROM ingested.pets ORDER BY registered_on"
        ).fetchall()
        assert [str(d) for _, d in loaded] == ["2026-09-05", "2026-10-03"]
    config = load_config()
    validator = Validator(duckdb_config=DUCKDB_CONFIG)
    blocking = run_gate(warehouse, connect, PETS, "2026-10", config, validator, blocking=True)
    # 3 of 5 rows quarantined (one an invalid number): over the 10 % and 5 % gates
    failed = {f.what for f in blocking.failures}
    assert any("quarantined" in what for what in failed), failed
    assert any("invalid identity number" in what for what in failed), failed
    assert any("exactly its contract's columns" in f.what and f.success for f in blocking.blocking)
    warnings = run_gate(warehouse, connect, PETS, "2026-10", config, validator, blocking=False)
    checked = {f.what: f.success for f in warnings.warnings}
    assert (
        checked["kind within its code table"]
        and checked["town codes inside the city's eight counties"]
    )
