"""Rosters for partner departments (outputs.md, 数据转办; issue 26): only each department's
columns, only people who meet its condition (checked here by an independent SQL computation
over the ingested tables, not by the roster code), 变动 across periods, audit and manifest."""

import datetime as dt
import hashlib
import json
import shutil

import dagster as dg
import duckdb
import openpyxl
import polars as pl
import pytest

from doudi_core.config import load_config
from orchestration.definitions import all_assets, resources_for
from orchestration.resources import DoudiResource
from rosters.changes import with_changes

PERIODS = ["2026-09", "2026-10"]
CONFIG = load_config()
COLUMNS = {  # outputs.md, "Rosters for partner departments"
    "medical": ["公民身份号码", "姓名", "救助类别", "纳入日期", "变动"],
    "education": ["公民身份号码", "姓名", "救助类别", "乡镇（街道）", "变动"],
    "disability": ["公民身份号码", "姓名", "残疾人证号", "救助类别", "死亡日期", "变动"],
    "police": ["公民身份号码", "姓名", "死亡日期", "殡仪馆", "死亡证明编号", "变动"],
}


@pytest.fixture(scope="module")
def published(tiny_city, tmp_path_factory):
    root = tmp_path_factory.mktemp("rosters")
    for period in PERIODS:
        shutil.copytree(tiny_city / period, root / "inbox" / period)
    resource = DoudiResource(
        inbox=str(root / "inbox"), out=str(root / "out"), warehouse=str(root / "out" / "w.duckdb")
    )
    for period in PERIODS:
        result = dg.materialize(all_assets, partition_key=period, resources=resources_for(resource))
        assert result.success
    return root / "out"


def _roster(out, period, department) -> pl.DataFrame:
    name = CONFIG.raw["rosters"][department]["name"]
    sheet = openpyxl.load_workbook(out / "rosters" / period / f"{department}_{name}.xlsx").active
    rows = list(sheet.iter_rows(values_only=True))
    title = f"{name}数据转办名单（{period}，共 {len(rows) - 2} 行）"
    assert rows[0][0] == title
    assert title in sheet.oddHeader.left.text and "&P" in sheet.oddFooter.center.text  # on paper
    return pl.DataFrame(rows[2:], schema=dict.fromkeys(rows[1], pl.String), orient="row")


def _eligible(con, department: str, period: str) -> set[str]:
    """Who meets the roster's condition, computed here in SQL from the ingested tables."""
    as_of = dt.date.fromisoformat(f"{period}-01") + dt.timedelta(days=40)
    as_of = as_of.replace(day=1) - dt.timedelta(days=1)
    snapshot = "period = (SELECT max(period) FROM ingested.{t} WHERE period <= '{p}')"
    dead = f"""
        SELECT person_key FROM ingested.hukou WHERE {snapshot.format(t="hukou", p=period)}
            AND status = '死亡' AND status_date <= DATE '{as_of}'
        UNION SELECT person_key FROM ingested.funeral
            WHERE delivery_period <= '{period}' AND death_date <= DATE '{as_of}'
    """
    in_care = f"""SELECT * FROM ingested.lowincome WHERE {snapshot.format(t="lowincome", p=period)}
        AND status = '在保'"""
    if department == "medical":
        categories = ", ".join(f"'{c}'" for c in CONFIG.raw["rosters"]["medical"]["categories"])
        people = f"SELECT person_key FROM ({in_care}) WHERE category IN ({categories})"
        people += f" AND person_key NOT IN ({dead})"
    elif department == "education":
        age = f"date_part('year', age(DATE '{as_of}', id_birth_date))"  # whole years
        people = f"SELECT person_key FROM ({in_care}) WHERE {age} BETWEEN 3 AND 17"
        people += f" AND person_key NOT IN ({dead})"
    elif department == "disability":
        counting = f"""SELECT person_key FROM ingested.disability
            WHERE {snapshot.format(t="disability", p=period)} AND certificate_state = '有效'"""
        people = f"""SELECT person_key FROM ({counting}) WHERE
            (person_key IN (SELECT person_key FROM ({in_care})) AND person_key NOT IN ({dead}))
            OR person_key IN ({dead})"""
    else:
        deadline = as_of - dt.timedelta(days=30)
        people = f"""SELECT person_key FROM ingested.funeral
            WHERE delivery_period <= '{period}' AND death_date <= DATE '{deadline}'
            AND person_key IN (SELECT person_key FROM ingested.hukou
                WHERE {snapshot.format(t="hukou", p=period)} AND status = '正常')"""
    rows = con.sql(
        f"SELECT id_number FROM vault.identities WHERE person_key IN ({people})"
    ).fetchall()
    return {r[0] for r in rows}


def test_each_roster_holds_its_columns_and_only_people_who_meet_its_condition(published):
    con = duckdb.connect(str(published / "w.duckdb"), read_only=True)
    for period in PERIODS:
        for department, columns in COLUMNS.items():
            roster = _roster(published, period, department)
            assert roster.columns == columns, (period, department)
            listed = set(roster.filter(pl.col("变动") != "减少")["公民身份号码"])
            assert listed == _eligible(con, department, period), (period, department)


def test_people_who_left_are_listed_once_as_left_with_their_previous_row(published):
    """outputs.md: "the people who left it listed once as 减少 ... a 减少 row repeats the
    person's row from the previous roster"."""
    for department in COLUMNS:
        before = _roster(published, PERIODS[0], department).filter(pl.col("变动") != "减少")
        after = _roster(published, PERIODS[1], department)
        still = set(after.filter(pl.col("变动") != "减少")["公民身份号码"])
        left = after.filter(pl.col("变动") == "减少")
        expected = before.filter(~pl.col("公民身份号码").is_in(sorted(still)))
        assert (
            left.drop("变动")
            .sort(left.columns[:-1])
            .equals(expected.drop("变动").sort(left.columns[:-1]))
        ), department
        new = set(after.filter(pl.col("变动") == "新增")["公民身份号码"])
        assert new == still - set(before["公民身份号码"]), department


def test_rosters_are_audited_and_the_manifest_matches_the_files(published):
    con = duckdb.connect(str(published / "w.duckdb"), read_only=True)
    for period in PERIODS:
        folder = published / "rosters" / period
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        assert [e["department"] for e in manifest["rosters"]] == list(COLUMNS)
        for entry in manifest["rosters"]:
            data = (folder / entry["file"]).read_bytes()
            assert hashlib.sha256(data).hexdigest() == entry["sha256"]
            assert entry["rows"] == _roster(published, period, entry["department"]).height
        audit = con.sql(
            "SELECT department, rows, sha256 FROM exports.roster_audit WHERE period = ?",
            params=[period],
        ).fetchall()
        assert sorted(audit) == sorted(
            (e["department"], e["rows"], e["sha256"]) for e in manifest["rosters"]
        )


def test_changes_across_periods_with_someone_who_leaves_and_comes_back():
    """Issue 26: "变动 right across the two periods (a test with planted entries and exits,
    including someone who leaves and comes back)"."""

    def roster(*ids):
        return pl.DataFrame({"公民身份号码": list(ids), "姓名": [f"人{i}" for i in ids]})

    first = with_changes(roster("A", "B", "C"), None)
    assert first["变动"].to_list() == ["新增"] * 3
    second = with_changes(roster("A", "C", "D"), first)
    assert dict(zip(second["公民身份号码"], second["变动"], strict=True)) == {
        "A": "不变",
        "C": "不变",
        "D": "新增",
        "B": "减少",
    }
    third = with_changes(roster("A", "B", "D"), second)  # B comes back; C leaves
    assert dict(zip(third["公民身份号码"], third["变动"], strict=True)) == {
        "A": "不变",
        "B": "新增",
        "D": "不变",
        "C": "减少",
    }
    fourth = with_changes(roster("A", "B", "D"), third)  # C is not listed as 减少 twice
    assert "减少" not in fourth["变动"].to_list()
    empty = with_changes(roster().clear(), fourth)  # everyone leaves: still a roster
    assert empty["变动"].to_list() == ["减少"] * 3


def test_a_roster_with_nobody_is_still_written_with_its_title_and_header(tmp_path):
    """Issue 26: "A roster with no rows is still written (a department must be able to tell
    'nobody' from 'not sent')"."""
    from rosters.writer import write_roster

    empty = pl.DataFrame(schema=dict.fromkeys(COLUMNS["police"], pl.String))
    path = tmp_path / "police_公安局.xlsx"
    write_roster(path, empty, "公安局数据转办名单（2026-10，共 0 行）", dt.date(2026, 10, 31))
    rows = list(openpyxl.load_workbook(path).active.iter_rows(values_only=True))
    assert rows[0][0] == "公安局数据转办名单（2026-10，共 0 行）"
    assert list(rows[1]) == COLUMNS["police"] and len(rows) == 2
