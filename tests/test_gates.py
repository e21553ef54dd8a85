"""Quality gates: break a good tiny city one way at a time and watch the right gate stop the run."""

import hashlib
import html
import re
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from doudi_core.settings import Paths
from orchestration.runner import run_period
from tests.rewrite import column, rewrite

GOOD, BROKEN = "2026-09", "2026-10"


@pytest.fixture(scope="module")
def baseline(tiny_city, tmp_path_factory):
    """A warehouse that has run the good 2026-09."""
    root = tmp_path_factory.mktemp("gates")
    inbox, out = root / "inbox", root / "out"
    shutil.copytree(tiny_city / GOOD, inbox / GOOD)
    paths = Paths(inbox=inbox, out=out, warehouse=out / "warehouse.duckdb")
    (out / "dagster_home").mkdir(parents=True)
    assert _run(GOOD, paths) == 0
    return root


def _run(period, paths):
    import os

    os.environ["DAGSTER_HOME"] = str(paths.out / "dagster_home")
    return run_period(period, paths)


@pytest.fixture
def scenario(baseline, tiny_city, tmp_path):
    shutil.copytree(baseline, tmp_path / "w")
    shutil.copytree(tiny_city / BROKEN, tmp_path / "w" / "inbox" / BROKEN)
    root = tmp_path / "w"
    return root, Paths(
        inbox=root / "inbox", out=root / "out", warehouse=root / "out" / "warehouse.duckdb"
    )


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _assert_blocked(root, paths, capsys, *expected):
    before = _digest(paths.out / "leads" / f"{GOOD}.parquet")
    status = _run(BROKEN, paths)
    printed = capsys.readouterr()
    err = printed.err
    assert status != 0
    for text in expected:
        assert text in err, err
    # one line per problem on the terminal; the tracebacks and Dagster's events in the log
    assert "Traceback" not in printed.out + err and "Stack Trace" not in printed.out + err
    (log,) = re.findall(r"full detail \(tracebacks, Dagster events, dbt\): (\S+)", err)
    assert "STEP_FAILURE" in Path(log).read_text(encoding="utf-8") or "BLOCKED" in Path(
        log
    ).read_text(encoding="utf-8")
    report = (paths.out / "quality" / BROKEN / "index.html").read_text(encoding="utf-8")
    head = report.split("<h2>Row accounting")[0]
    assert "Run: <b>FAILED</b>" in head and "PASSED" not in report and "COMPLETED" not in report
    for text in expected:
        assert html.escape(text) in head, f"the report's head does not say {text!r}"
    assert not (paths.out / "leads" / f"{BROKEN}.parquet").exists()
    assert not (paths.out / "exports" / BROKEN).exists()
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    states = con.sql(
        "SELECT count(*) FROM leads.lead_states WHERE period = ?", params=[BROKEN]
    ).fetchall()[0][0]
    con.close()
    assert states == 0, "the cross-match ran although a gate failed"
    assert _digest(paths.out / "leads" / f"{GOOD}.parquet") == before
    return err


def _files(root, source):
    return sorted((root / "inbox" / BROKEN / source).iterdir())


def test_a_required_column_removed(scenario, capsys):
    root, paths = scenario
    target = _files(root, "disability")[0]

    def drop(header, rows):
        i = column(header, "残疾等级")
        return header[:i] + header[i + 1 :], [r[:i] + r[i + 1 :] for r in rows]

    rewrite(target, drop)
    _assert_blocked(root, paths, capsys, "disability", target.name, "残疾等级")


def test_every_rejected_file_is_named_not_only_the_first(scenario, capsys):
    """ "when three hukou files lack 公民身份号码, name all three" (issue 21)."""
    root, paths = scenario
    targets = _files(root, "hukou")[:3]

    def drop(header, rows):
        i = column(header, "公民身份号码")
        return header[:i] + header[i + 1 :], [r[:i] + r[i + 1 :] for r in rows]

    for target in targets:
        rewrite(target, drop)
    err = _assert_blocked(
        root,
        paths,
        capsys,
        *[
            f"FAILED hukou: input rejected: {t.name}: required column missing: 公民身份号码"
            for t in targets
        ],
    )
    assert err.count("required column missing") == 3


def test_a_truncated_medical_file(scenario, capsys):
    root, paths = scenario
    target = max(_files(root, "medical"), key=lambda p: p.stat().st_size)
    rewrite(target, lambda header, rows: (header, rows[: len(rows) // 2]))
    _assert_blocked(root, paths, capsys, "BLOCKED medical", "each file's volume", target.name)


def test_twenty_percent_invalid_identity_numbers(scenario, capsys):
    root, paths = scenario

    def corrupt(header, rows):
        i = column(header, "公民身份号码")
        for n, row in enumerate(rows):
            if n % 5 == 0 and len(row[i].strip()) == 18:
                row[i] = row[i].strip()[:17] + ("0" if row[i].strip()[17] != "0" else "1")
        return header, rows

    for target in _files(root, "hukou"):
        rewrite(target, corrupt)
    _assert_blocked(root, paths, capsys, "BLOCKED hukou", "invalid identity number", "rows)")


def test_settlements_that_do_not_reconcile(scenario, capsys):
    root, paths = scenario

    def skew(header, rows):
        i = column(header, "个人自付")
        for n, row in enumerate(rows):
            if n % 10 == 0:
                row[i] = f"{float(row[i].replace(',', '')) + 1:.2f}"
        return header, rows

    for target in _files(root, "medical"):
        rewrite(target, skew)
    _assert_blocked(root, paths, capsys, "BLOCKED medical", "医疗总费用")


def test_a_snapshot_forty_percent_smaller(scenario, capsys):
    root, paths = scenario
    for target in _files(root, "lowincome"):
        rewrite(
            target, lambda header, rows: (header, [r for n, r in enumerate(rows) if n % 5 >= 2])
        )
    _assert_blocked(
        root, paths, capsys, "BLOCKED lowincome", "total rows within the allowed change"
    )


def test_a_tolerable_imperfection_passes_with_a_warning(scenario, capsys):
    """4 % of hukou's numbers broken: under the 5 % gate, but the share quarantined rose by
    more than 2 points over 2026-09's: a warning that carries news (issue 21)."""
    root, paths = scenario

    def corrupt(header, rows):
        i = column(header, "公民身份号码")
        for n, row in enumerate(rows):
            if n % 25 == 0 and len(row[i].strip()) == 18:
                row[i] = row[i].strip()[:17] + ("0" if row[i].strip()[17] != "0" else "1")
        return header, rows

    for target in _files(root, "hukou"):
        rewrite(target, corrupt)
    assert _run(BROKEN, paths) == 0
    out = capsys.readouterr().out
    assert "Quality warnings tolerated (3)" in out  # and the ordinary month's two (below)
    assert "warning hukou: share of rows quarantined at most 2% points above 2026-09's" in out
    assert (paths.out / "leads" / f"{BROKEN}.parquet").exists()
    report = (paths.out / "quality" / BROKEN / "index.html").read_text(encoding="utf-8")
    assert "Run: <b>COMPLETED</b>" in report and "warnings tolerated: <b>3</b>" in report
    assert "<tr class='failed'>" in report  # the warning's row is coloured


def test_the_quarantine_warning_is_quiet_on_an_ordinary_month(scenario, capsys):
    """The old "no row quarantined" warning fired on every source every month: gone. An
    ordinary month's two warnings are those extracts.md asks for: eldercare's visits and the
    funeral homes' deaths dated after month end (kept, and counted)."""
    _root, paths = scenario  # the generated city carries a handful of invalid rows per source
    assert _run(BROKEN, paths) == 0
    out = capsys.readouterr().out
    assert "Quality warnings tolerated (2)" in out and "no row quarantined" not in out
    assert "warning eldercare: 最近日期 after the period's end, kept as within the period" in out
    assert "warning funeral: 死亡日期 after the period's end, kept for the first period" in out
    # dbt in one line; its own log stays in OUT/dbt/<period>/dbt.log
    (dbt,) = [line for line in out.splitlines() if line.startswith("dbt: ")]
    assert "20 models" in dbt and str(paths.out / "dbt" / BROKEN / "dbt.log") in dbt
    assert "Running with dbt" not in out and "START sql" not in out


def test_a_snapshot_file_with_a_header_and_no_rows_blocks_the_first_delivery(
    tiny_city, tmp_path, capsys
):
    """ "A full snapshot ... that holds a header and no rows is a blocking problem even on the
    first delivery, when there is no earlier volume to compare with" (issue 21)."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    shutil.copytree(tiny_city / GOOD, inbox / GOOD)
    empty = sorted((inbox / GOOD / "disability").iterdir())[0]
    rewrite(empty, lambda header, rows: (header, []))
    paths = Paths(inbox=inbox, out=out, warehouse=out / "warehouse.duckdb")
    assert _run(GOOD, paths) == 1
    err = capsys.readouterr().err
    assert "BLOCKED disability: every file of a full snapshot holds rows" in err
    assert empty.name in err
    assert not (out / "leads" / f"{GOOD}.parquet").exists()


def test_the_feedback_suite_blocks_duplicate_or_unlisted_answers():
    import datetime as dt

    import polars as pl

    from expectations.suites import feedback_suite
    from expectations.validate import Validator
    from workbooks.layout import RESULTS

    validator = Validator()
    good = pl.DataFrame(
        {
            "lead_id": ["A", "B"],
            "result": ["不属实", "属实-待办理"],
            "verified_on": [dt.date(2026, 10, 2)] * 2,
        }
    )
    assert all(f.success for f in validator.check(feedback_suite(RESULTS), good))
    bad = pl.DataFrame(
        {
            "lead_id": ["A", "A"],
            "result": ["不属实", "随便"],
            "verified_on": [dt.date(2026, 10, 2), None],
        }
    )
    failed = {f.what for f in validator.check(feedback_suite(RESULTS), bad) if not f.success}
    assert len(failed) == 3


def test_the_suite_query_inlines_only_a_plain_period():
    """GX query assets take no parameters: anything but YYYY-MM is refused, not inlined."""
    from expectations.frames import columns_query
    from sources import SOURCES

    query = columns_query(SOURCES["medical"], "2026-10", ["reconcile_diff_fen"])
    assert "delivery_period = '2026-10'" in query
    assert "total_fen - (fund_fen" in query
    with pytest.raises(ValueError, match="not a period"):
        columns_query(SOURCES["medical"], "2026-10' OR '1'='1", ["oop_fen"])


def test_an_expectation_gx_cannot_evaluate_stops_the_check(tmp_path):
    """GX counts an engine error as a mere failure; a warning check would then pass it off as
    tolerated dirt. It must raise instead (regex has no DuckDB SQL in GX: the trap it was)."""
    import great_expectations as gx
    from great_expectations import expectations as gxe

    from expectations.validate import CheckNotEvaluated, Validator

    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "CREATE TABLE t AS SELECT * FROM (VALUES ('321302001', 'a.csv', 2), "
            "('999999001', 'a.csv', 3)) v(town_code, source_file, source_row)"
        )
    columns = ["town_code", "source_file", "source_row"]
    validator = Validator()
    regex = gx.ExpectationSuite(name="regex")
    regex.add_expectation(gxe.ExpectColumnValuesToMatchRegex(column="town_code", regex=r"^\d+$"))
    with pytest.raises(CheckNotEvaluated, match="match_regex on town_code"):
        validator.check_query(regex, warehouse, "SELECT * FROM t", columns)
    in_set = gx.ExpectationSuite(name="in_set")
    in_set.add_expectation(
        gxe.ExpectColumnValuesToBeInSet(column="town_code", value_set=["321302001"])
    )
    (finding,) = validator.check_query(in_set, warehouse, "SELECT * FROM t", columns)
    assert (finding.success, finding.unexpected_count, finding.examples) == (False, 1, ["a.csv:3"])


def test_town_codes_outside_the_city_are_told_apart_in_sql():
    from sources import SOURCES
    from sources.contract import TOWN_IN_CITY

    town = TOWN_IN_CITY
    codes = ["321302001", "321373999", "999999001", "3213020011", "32130200A", None]
    got = duckdb.sql(
        f"SELECT {town} FROM (SELECT unnest(?::VARCHAR[]) AS town_code)", params=[codes]
    ).fetchall()
    assert [g[0] for g in got] == [True, True, False, False, False, True]
    # GX passes the query through SQLAlchemy's text(): ":name" would become a bind parameter
    derived = [sql for source in SOURCES.values() for sql in source.derived.values()]
    assert derived and not [sql for sql in derived if ":" in sql]


def test_a_key_twice_in_a_loaded_delivery_blocks_and_names_the_rows(baseline, tmp_path):
    """Ingest quarantines duplicate keys; the gate checks none slipped by (say, a bug)."""
    from contextlib import closing

    from doudi_core.config import load_config
    from expectations.gates import run_gate
    from expectations.validate import Validator

    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(baseline / "out" / "warehouse.duckdb", warehouse)
    with closing(duckdb.connect(str(warehouse))) as con:
        con.execute(
            "INSERT INTO ingested.medical SELECT * REPLACE (source_row + 100000 AS source_row) "
            "FROM ingested.medical WHERE delivery_period = ? ORDER BY source_file, source_row "
            "LIMIT 2",
            [GOOD],
        )
        copied = con.sql(
            "SELECT source_file, source_row FROM ingested.medical WHERE delivery_period = ? "
            "ORDER BY source_file, source_row LIMIT 2",
            params=[GOOD],
        ).fetchall()

    def connect():
        return closing(duckdb.connect(str(warehouse)))

    report = run_gate(warehouse, connect, "medical", GOOD, load_config(), Validator(), True)
    [failure] = report.failures
    assert "no duplicate settlement_id" in failure.sentence()
    assert "2 rows repeat a key" in failure.sentence()  # two extra rows, not the four involved
    assert [f"{file}:{row}" for file, row in copied] == failure.examples[:2]


def test_a_failed_rerun_of_a_published_period_leaves_its_publication_as_it_was(scenario, capsys):
    """ "nothing published is overwritten by accident": 2026-10 published, then run again on a
    truncated medical file: the run fails at the gate, and the leads file and workbooks
    published before stay byte for byte (issue 21)."""
    root, paths = scenario
    assert _run(BROKEN, paths) == 0
    published = {
        p: _digest(p)
        for p in [
            paths.out / "leads" / f"{BROKEN}.parquet",
            *sorted((paths.out / "exports" / BROKEN).glob("*.xlsx")),
        ]
    }
    capsys.readouterr()
    target = max(_files(root, "medical"), key=lambda p: p.stat().st_size)
    rewrite(target, lambda header, rows: (header, rows[: len(rows) // 2]))
    assert _run(BROKEN, paths) == 1
    err = capsys.readouterr().err
    assert "BLOCKED medical" in err
    assert f"the leads and workbooks published earlier for {BROKEN} stand unchanged" in err
    assert {p: _digest(p) for p in published} == published


def test_a_month_without_its_own_eldercare_skips_only_the_visit_rule_and_carries_its_leads(
    scenario, capsys
):
    """rules.md: "ELDER_VISIT_OVERDUE is also skipped, its open leads carried unchanged, in a
    period without an eldercare delivery of its own"; extracts.md: a missing folder means
    "no new delivery": the latest earlier snapshot stands, and the run says so."""
    root, paths = scenario
    shutil.rmtree(root / "inbox" / BROKEN / "eldercare")
    assert _run(BROKEN, paths) == 0
    out = capsys.readouterr().out
    assert f"eldercare: no new delivery for {BROKEN}; the {GOOD} snapshot stands" in out
    (skipped,) = [line for line in out.splitlines() if "rules skipped" in line]
    assert skipped.endswith(": ELDER_VISIT_OVERDUE") and "carried unchanged" in skipped
    before, after = (
        pl.read_parquet(paths.out / "leads" / f"{p}.parquet").filter(
            pl.col("rule_code") == "ELDER_VISIT_OVERDUE"
        )
        for p in (GOOD, BROKEN)
    )
    assert before.height > 0
    assert sorted(after["lead_id"]) == sorted(before["lead_id"])
    assert set(after["status"]) == {"持续"}
    columns = ["lead_id", "evidence", "priority", "due_date"]
    assert after.select(columns).sort("lead_id").equals(before.select(columns).sort("lead_id"))
    # the other elder rules ran on the standing snapshot
    allowance = pl.read_parquet(paths.out / "leads" / f"{BROKEN}.parquet").filter(
        pl.col("rule_code") == "ELDER_ALLOWANCE_MISSING"
    )
    assert allowance.height > 0


def test_an_inbox_that_never_had_eldercare_runs_without_its_rules(tiny_city, tmp_path, capsys):
    """extracts.md: "a run on an inbox that has never had an eldercare or funeral delivery
    still runs, its rules that need them are skipped and the run says so"; rules.md:
    "DECEASED_STILL_PAID always runs on what exists"."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    shutil.copytree(tiny_city / GOOD, inbox / GOOD, ignore=shutil.ignore_patterns("eldercare"))
    paths = Paths(inbox=inbox, out=out, warehouse=out / "warehouse.duckdb")
    assert _run(GOOD, paths) == 0
    printed = capsys.readouterr().out
    assert f"  eldercare: never delivered up to {GOOD}" in printed
    assert (
        f"  rules skipped (eldercare never delivered up to {GOOD}): ELDER_ALLOWANCE_MISSING, "
        "ELDER_CARE_SUBSIDY_MISSING, ELDER_VISIT_OVERDUE" in printed
    )
    rules = set(pl.read_parquet(out / "leads" / f"{GOOD}.parquet")["rule_code"])
    assert not rules & {
        "ELDER_ALLOWANCE_MISSING",
        "ELDER_CARE_SUBSIDY_MISSING",
        "ELDER_VISIT_OVERDUE",
    }
    assert "DECEASED_STILL_PAID" in rules
