"""No personal data where it does not belong: a full in-process run, then every table outside
the vault, every Dagster event and metadata entry, the quality report and the printed output
are searched for the generated people's identity numbers and names."""

import os
import re
import stat

import dagster as dg
import duckdb
import openpyxl
import polars as pl
import pytest

from doudi_core import pseudonym
from doudi_core.config import load_config
from doudi_core.settings import Paths
from orchestration.definitions import defs, resources_for
from orchestration.resources import DoudiResource
from orchestration.runner import run_period

ID_PATTERN = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


@pytest.fixture(scope="module")
def run(tiny_city, tmp_path_factory):
    out = tmp_path_factory.mktemp("privacy")
    paths = Paths(inbox=tiny_city, out=out, warehouse=out / "warehouse.duckdb")
    os.environ["DAGSTER_HOME"] = str(out / "dh")
    (out / "dh").mkdir()
    with dg.instance_for_test() as instance:
        job = defs.resolve_job_def("monthly")
        results = [
            job.execute_in_process(
                partition_key=p,
                instance=instance,
                resources=resources_for(DoudiResource.from_paths(paths)),
            )
            for p in ("2026-09", "2026-10")
        ]
        logs = [str(entry) for r in results for entry in instance.all_logs(r.run_id)]
    assert all(r.success for r in results)
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    numbers = {  # (a member delivered without a number is keyed with an empty one)
        n for n in con.sql("SELECT id_number FROM vault.identities").pl()["id_number"] if n
    }
    names = {
        n
        for n in con.sql("SELECT DISTINCT name FROM vault.people").pl()["name"]
        if n and len(n) >= 2
    }
    con.close()
    return paths, logs, numbers, names


def _leaks(text: str, numbers: set[str], names: set[str]) -> list[str]:
    found = [m for m in ID_PATTERN.findall(text) if m.upper() in numbers]
    found += [n for n in names if n in text]
    return found[:5]


def test_no_table_outside_the_vault_holds_numbers_or_names(run):
    paths, _, numbers, names = run
    assert len(numbers) > 1000 and len(names) > 1000
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    try:
        tables = con.sql(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema <> 'vault'"
        ).fetchall()
        assert len(tables) > 20
        for schema, table in tables:
            frame = con.sql(f'SELECT * FROM "{schema}"."{table}"').pl()
            for column in frame.select(pl.col(pl.String)).columns:
                values = set(frame[column].drop_nulls().unique().to_list())
                assert not values & numbers, f"{schema}.{table}.{column} holds identity numbers"
                assert not values & names, f"{schema}.{table}.{column} holds names"
                joined = "\n".join(sorted(values)[:20000])
                assert not _leaks(joined, numbers, set()), f"{schema}.{table}.{column}"
    finally:
        con.close()


def test_inside_the_vault_identity_numbers_are_kept_once(run):
    """vault.identities alone maps a pseudonym to its number; vault.people holds names by
    pseudonym, each of them one that vault.identities can resolve."""
    paths, _, numbers, _ = run
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    try:
        people = con.sql("SELECT * FROM vault.people").pl()
        unresolved = con.sql(
            "SELECT count(*) FROM (SELECT DISTINCT person_key FROM vault.people) "
            "ANTI JOIN vault.identities USING (person_key)"
        ).fetchall()[0][0]
    finally:
        con.close()
    assert people.height > 1000 and unresolved == 0
    for column in people.select(pl.col(pl.String)).columns:
        values = set(people[column].drop_nulls().unique().to_list())
        assert not values & numbers, f"vault.people.{column} holds identity numbers"


def test_no_dagster_event_or_metadata_carries_personal_data(run):
    _, logs, numbers, names = run
    assert len(logs) > 50
    for entry in logs:
        assert not _leaks(entry, numbers, names), entry[:300]


def test_the_quality_report_and_the_printed_summary_are_clean(run, capsys):
    paths, _, numbers, names = run
    report = (paths.out / "quality" / "2026-10" / "index.html").read_text(encoding="utf-8")
    assert "Row accounting" in report
    assert not _leaks(report, numbers, names)
    assert run_period("2026-10", paths) == 0
    printed = capsys.readouterr()
    assert not _leaks(printed.out + printed.err, numbers, names)


def test_the_leads_file_and_workbooks_do_carry_them_for_caseworkers(run):
    """The one place identity numbers leave the warehouse (outputs.md): every lead of the file
    carries its number, and each county's workbook shows exactly its own leads' numbers."""
    paths, _, numbers, _ = run
    leads = pl.read_parquet(paths.out / "leads" / "2026-10.parquet")
    assert leads.height > 100
    assert leads["id_number"].null_count() == 0
    assert set(leads["id_number"]) <= numbers | {""}  # "": a member delivered without one
    books = sorted((paths.out / "exports" / "2026-10").glob("*.xlsx"))
    assert {p.name[:6] for p in books} == set(leads["county_code"].drop_nulls())
    for path in books:
        shown = []
        for sheet in openpyxl.load_workbook(path, read_only=True).worksheets[2:]:  # 汇总, 说明
            rows = sheet.iter_rows(values_only=True)
            column = next(rows).index("公民身份号码")
            shown += [row[column] for row in rows if row[0]]
        county = leads.filter(pl.col("county_code") == path.name[:6])
        assert sorted(shown) == sorted(county["id_number"]), path.name


def test_a_production_configuration_refuses_to_run_without_an_explicit_key(monkeypatch, tmp_path):
    monkeypatch.delenv(pseudonym.KEY_ENV, raising=False)
    monkeypatch.delenv(pseudonym.KEY_FILE_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(pseudonym.PseudonymKeyError, match="explicit key"):
        pseudonym.load_key(require_explicit=True)
    with pytest.raises(pseudonym.PseudonymKeyError, match="doudi demo"):
        pseudonym.load_key()
    key = pseudonym.load_key(create=True)  # what `doudi demo` does
    path = tmp_path / "data" / "pseudonym.key"
    assert key.origin == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert pseudonym.load_key().secret == key.secret
    path.chmod(0o644)
    with pytest.raises(pseudonym.PseudonymKeyError, match="owner only"):
        pseudonym.load_key()
    assert load_config().raw["pseudonym"]["require_explicit_key"] is False


def test_the_pseudonym_is_the_hmac_of_the_number(key):
    import hashlib
    import hmac

    frame = pseudonym.add_keys(pl.DataFrame({"id": ["321302199001011234", None]}), key, {"k": "id"})
    expected = int(hmac.new(key.secret, b"321302199001011234", hashlib.sha256).hexdigest()[:15], 16)
    assert frame["k"].to_list() == [expected, None]
