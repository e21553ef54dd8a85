"""The command line's start-up: Dagster, dbt and GX imported once, frozen for the collector."""

import datetime as dt
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import duckdb
import pytest

from doudi_core import pseudonym
from orchestration import cli, preflight
from workbooks import publications

PROBE = """
import gc
from orchestration import cli
run_period = cli._runner()
print(gc.isenabled(), any(o is run_period for o in gc.get_objects()))
"""


def test_the_runner_is_imported_frozen_and_the_collector_is_back_on():
    """In a fresh interpreter: the collector no longer lists (so no longer scans) what the
    runner imported, and it runs again for everything made after."""
    probe = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    )
    enabled, runner_scanned = probe.stdout.split()
    assert enabled == "True"
    assert runner_scanned == "False"


# --- refusals: checked before anything is written (outputs.md, "Command line") ----------


@pytest.fixture(autouse=True)
def _own_settings(monkeypatch):
    """`doudi` publishes its folders to the environment (for Dagster and dbt): each test's
    command starts without an earlier one's."""
    for name in ("DOUDI_INBOX", "DOUDI_OUT", "DOUDI_WAREHOUSE", "DAGSTER_HOME"):
        monkeypatch.setenv(name, "")  # remembered, so what the command sets is undone after
        monkeypatch.delenv(name)


def _doudi(capsys, *argv) -> tuple[int, str]:
    status = cli.main(list(argv))
    printed = capsys.readouterr()
    return status, printed.out + printed.err


def test_a_period_outside_the_partitions_is_a_bad_argument_naming_the_range(tmp_path, capsys):
    status, printed = _doudi(capsys, "run", "--period", "1999-10", "--out", str(tmp_path / "out"))
    assert status == 2
    assert "1999-10 is outside the periods doudi runs: 2024-01 to " in printed
    assert "Traceback" not in printed
    assert not (tmp_path / "out").exists()


def test_no_verb_prints_the_help_and_version_works(capsys):
    status, printed = _doudi(capsys)
    assert (
        status == 2 and "usage: doudi" in printed and "{run,generate,demo,repair-fit,ui}" in printed
    )
    with pytest.raises(SystemExit) as done:
        cli.main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"doudi {version('doudi')}"


def test_an_inbox_that_does_not_exist_is_refused_and_nothing_written(tmp_path, capsys):
    out = tmp_path / "out"
    status, printed = _doudi(
        capsys,
        "run",
        "--period",
        "2026-10",
        "--inbox",
        str(tmp_path / "nowhere"),
        "--out",
        str(out),
    )
    assert status == 2
    assert f"the inbox {tmp_path / 'nowhere'} does not exist" in printed
    assert not out.exists()


def test_a_period_folder_with_only_feedback_is_no_delivery(tmp_path, capsys):
    """ "a folder holding only feedback is 'no delivery'" (issue 21)."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    (inbox / "2026-10" / "feedback").mkdir(parents=True)
    (inbox / "2026-10" / "feedback" / "returned.xlsx").write_bytes(b"x")
    (inbox / "2026-10" / "hukou").mkdir()  # an empty source folder delivers nothing either
    status, printed = _doudi(
        capsys, "run", "--period", "2026-10", "--inbox", str(inbox), "--out", str(out)
    )
    assert status == 2
    assert "2026-10" in printed and "delivers no source" in printed
    assert not out.exists()


def test_every_month_of_a_backfill_is_checked_before_any_runs(tmp_path, capsys):
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    (inbox / "2026-09" / "hukou").mkdir(parents=True)
    (inbox / "2026-09" / "hukou" / "a.csv").write_text("x")
    status, printed = _backfill(capsys, inbox, out)
    assert status == 2
    assert "2026-10: no folder" in printed and "2026-09" not in printed.split("2026-10:")[0][-40:]
    assert not out.exists()


def test_a_december_without_next_years_holidays_is_refused_before_anything_is_written(
    tmp_path, capsys, add_2027_holidays
):
    """rules.md: due "`as_of` plus **15 working days** (statutory holidays and make-up working
    days of the People's Republic of China observed)". 2026-12's fall in January 2027, a year
    the pinned chinese-calendar (1.11.0) does not know: the run is refused at once, naming
    what to add, not stopped at the leads after the ingest."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    (inbox / "2026-12" / "hukou").mkdir(parents=True)
    (inbox / "2026-12" / "hukou" / "a.csv").write_text("x")
    status, printed = _doudi(
        capsys, "run", "--period", "2026-12", "--inbox", str(inbox), "--out", str(out)
    )
    assert status == 2
    assert "2026-12: leads' due dates: no holiday schedule for 2027" in printed
    assert "[calendar.2027]" in printed and "Traceback" not in printed
    assert not out.exists()
    assert preflight.calendar_problems(["2026-11"]) == []  # November's fall in December: known
    add_2027_holidays()
    assert preflight.calendar_problems(["2026-12"]) == []  # the year's schedule given


def _without_key(monkeypatch, folder: Path) -> None:
    """No key in the environment, and no development key file in `folder`, made the cwd."""
    monkeypatch.delenv(pseudonym.KEY_ENV)
    monkeypatch.delenv(pseudonym.KEY_FILE_ENV, raising=False)
    monkeypatch.chdir(folder)


def test_no_pseudonym_key_is_refused_before_anything_is_written(tmp_path, capsys, monkeypatch):
    _without_key(monkeypatch, tmp_path)
    inbox, out = _inbox(tmp_path / "inbox", "2026-10", ["hukou"]), tmp_path / "out"
    status, printed = _doudi(
        capsys, "run", "--period", "2026-10", "--inbox", str(inbox), "--out", str(out)
    )
    assert status == 2 and "no pseudonym key" in printed
    assert not out.exists()


def test_every_problem_before_the_run_is_named_at_once(tmp_path, capsys, monkeypatch):
    """A failure prints what to fix: no key, a month's folder missing and a December without
    next year's holidays are three lines of one refusal, not three refused runs in turn."""
    _without_key(monkeypatch, tmp_path)
    inbox, out = _inbox(tmp_path / "inbox", "2026-12", ["hukou"]), tmp_path / "out"
    args = ["--period", "2026-11", "--through", "2026-12", "--inbox", str(inbox)]
    status, printed = _doudi(capsys, "run", *args, "--out", str(out))
    assert status == 2 and "Traceback" not in printed
    lines = [line for line in printed.splitlines() if line.startswith("doudi run: ")]
    assert len(lines) == 3, printed
    assert "no pseudonym key" in lines[0]
    assert lines[1].startswith("doudi run: 2026-11: no folder")
    assert "2026-12: leads' due dates: no holiday schedule for 2027" in lines[2]
    assert not out.exists()


def _backfill(capsys, inbox: Path, out: Path) -> tuple[int, str]:
    """`doudi run --period 2026-09 --through 2026-10` on `inbox` into `out`."""
    args = ["--period", "2026-09", "--through", "2026-10", "--inbox", str(inbox)]
    return _doudi(capsys, "run", *args, "--out", str(out))


def _published(warehouse: Path, period: str, sources: list[str]) -> None:
    """A warehouse in which `period` was published from `sources`."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(warehouse))
    con.execute("CREATE SCHEMA ingested")
    con.execute("CREATE TABLE ingested.file_accounting (period VARCHAR, source VARCHAR)")
    for source in [*sources, "feedback"]:
        con.execute("INSERT INTO ingested.file_accounting VALUES (?, ?)", [period, source])
    publications.record(con, period, dt.datetime(2026, 11, 5, 6))
    con.close()


def _inbox(root: Path, period: str, sources: list[str]) -> Path:
    for source in sources:
        (root / period / source).mkdir(parents=True)
        (root / period / source / "a.csv").write_text("x")
    return root


def test_a_published_period_is_not_republished_from_fewer_deliveries(tmp_path):
    """ "unless --replace is given, refuse when any source (feedback aside) that the published
    run had delivered has no file now, and name those sources" (issue 21)."""
    warehouse = tmp_path / "out" / "warehouse.duckdb"
    _published(warehouse, "2026-10", ["disability", "hukou", "lowincome", "medical"])
    inbox = _inbox(tmp_path / "inbox", "2026-10", ["hukou", "lowincome"])
    with pytest.raises(preflight.Refused) as refused:
        preflight.check_published(warehouse, inbox, ["2026-10"], replace=False)
    assert refused.value.status == preflight.NOT_REPLACED
    (problem,) = refused.value.problems
    assert "has no files for disability, medical" in problem and "--replace" in problem
    preflight.check_published(warehouse, inbox, ["2026-10"], replace=True)  # allowed
    # the same deliveries (feedback aside) or more pass; a period never published passes
    _inbox(inbox, "2026-10", ["disability", "medical"])
    preflight.check_published(warehouse, inbox, ["2026-10"], replace=False)
    preflight.check_published(
        warehouse, _inbox(tmp_path / "i2", "2026-11", ["hukou"]), ["2026-11"], False
    )


def test_a_refused_backfill_changes_nothing_that_was_published(tmp_path, capsys):
    """2026-09 is fine, 2026-10 was published from more: nothing runs, not even 2026-09."""
    out = tmp_path / "out"
    _published(out / "warehouse.duckdb", "2026-10", ["hukou", "medical"])
    inbox = _inbox(tmp_path / "inbox", "2026-09", ["hukou", "medical"])
    _inbox(inbox, "2026-10", ["hukou"])
    leads = out / "leads" / "2026-10.parquet"
    leads.parent.mkdir()
    leads.write_bytes(b"published")
    before = sorted(p.relative_to(out) for p in out.rglob("*"))
    status, printed = _backfill(capsys, inbox, out)
    assert status == preflight.NOT_REPLACED
    assert (
        "2026-10 was published from hukou, medical" in printed and "no files for medical" in printed
    )
    assert leads.read_bytes() == b"published"
    after = sorted(p.relative_to(out) for p in out.rglob("*") if p.name != ".doudi-run.lock")
    assert after == before


HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def _holder(warehouse: Path, seconds: float) -> subprocess.Popen:
    """Another process with the warehouse open for writing (DuckDB locks the file)."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(warehouse), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().strip() == "holding"
    return process


def test_a_held_warehouse_is_waited_for_then_refused_with_who_holds_it(tmp_path, capsys):
    warehouse = tmp_path / "w.duckdb"
    duckdb.connect(str(warehouse)).close()
    brief = _holder(warehouse, 1.0)
    preflight.wait_for_warehouse(warehouse, patience_s=30)  # returns once the holder is gone
    assert brief.wait() == 0
    assert "waiting up to 30 s" in capsys.readouterr().err
    stuck = _holder(warehouse, 30)
    try:
        with pytest.raises(preflight.Refused) as refused:
            preflight.wait_for_warehouse(warehouse, patience_s=0.5)
    finally:
        stuck.kill()
        stuck.wait()
    assert refused.value.status == preflight.IN_USE
    (problem,) = refused.value.problems
    assert f"is still held by process {stuck.pid}" in problem


def test_repair_fit_refuses_a_bad_period_and_a_missing_warehouse(tmp_path, capsys):
    """A wrong command prints what to fix, not a stack trace."""
    from orchestration.cli import main

    assert main(["repair-fit", "--period", "2026-13", "--out", str(tmp_path)]) == 2
    assert "2026-13" in capsys.readouterr().err
    assert main(["repair-fit", "--period", "2026-10", "--out", str(tmp_path / "none")]) == 2
    assert "no warehouse" in capsys.readouterr().err
