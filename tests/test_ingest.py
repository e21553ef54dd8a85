"""Ingest on a generated city: quarantine equals the planted truth, accounting balances,
and the Dagster assets load the warehouse in-process."""

import fcntl
import json
import random
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from doudi_core.pseudonym import PseudonymCollision, PseudonymKey, add_keys
from ingest.delivery import (
    DUPLICATE_FILE,
    SPOOL_LOCK,
    _duplicates_among,
    _mark_duplicates,
    ingest_source,
    sweep_spools,
)
from ingest.files import detect_encoding, read_file
from ingest.normalise import _parsed, _per_value
from ingest.values import fen_parser, parse_date, parse_fen
from orchestration.ingest_assets import ingest_assets
from orchestration.resources import DoudiResource
from sources import SOURCES
from synth.idcard import check_char
from tests.conftest import truth_dir

PERIOD = "2026-10"
# what the generated city delivers (eldercare, added later, is not generated yet: its own
# hand-written files are in test_eldercare.py)
GENERATED = sorted(name for name, source in SOURCES.items() if source.required)


@pytest.fixture(scope="module")
def deliveries(tiny_city, key):
    return {s: ingest_source(s, PERIOD, tiny_city / PERIOD / s, tiny_city, key) for s in GENERATED}


@pytest.mark.parametrize("source", GENERATED)
def test_quarantine_is_exactly_the_planted_invalid_rows(deliveries, tiny_city, source):
    truth = pl.read_csv(truth_dir(tiny_city, PERIOD) / "quarantine.csv").filter(
        pl.col("source") == source
    )
    got = deliveries[source].vault["quarantine"].select("file", "row_number", "reason")
    expected = truth.select("file", "row_number", "reason")
    assert got.sort(pl.all()).rows() == expected.sort(pl.all()).rows()


@pytest.mark.parametrize("source", GENERATED)
def test_rows_read_equal_loaded_plus_quarantined(deliveries, tiny_city, source):
    accounting = deliveries[source].accounting
    assert (
        accounting["rows_read"] == accounting["rows_loaded"] + accounting["rows_quarantined"]
    ).all()
    files = pl.read_csv(truth_dir(tiny_city, PERIOD) / "files.csv").filter(
        pl.col("source") == source
    )
    assert (
        accounting.select("file", "rows_read").sort("file").rows()
        == files.select("file", "rows").sort("file").rows()
    )


@pytest.mark.parametrize("source", GENERATED)
def test_the_quarantine_shows_each_rejected_row_as_delivered(deliveries, tiny_city, source):
    """Every quarantined row's raw values are its cells as the file holds them (blank: null)."""
    quarantine = deliveries[source].vault["quarantine"]
    columns = SOURCES[source].columns
    checked = 0
    for file, rows in quarantine.group_by("file", maintain_order=True):
        delivered = read_file(tiny_city / PERIOD / source / file[0], SOURCES[source]).rows
        cells = rows.join(delivered, left_on="row_number", right_on="_row", maintain_order="left")
        for raw_values, row in zip(rows["raw_values"], cells.iter_rows(named=True), strict=True):
            assert json.loads(raw_values) == {
                chinese: row[name] for chinese, name in columns.items()
            }
            checked += 1
    assert checked == quarantine.height > 0


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(
            st.integers(0, 5),  # raw hash: copies share it
            st.sampled_from(["A", "B", "C", "D", None]),  # key, or none (an invalid row)
            st.sampled_from([None, None, "ID_MALFORMED"]),  # the slice's own reason
        ),
        max_size=30,
    ),
    source=st.sampled_from(["medical", "hukou"]),  # the last copy kept, and the first
)
def test_duplicates_checked_among_repeated_keys_equal_checking_every_row(rows, source):
    """The duplicate checks run only on rows whose key repeats (ingest/delivery.py); that
    must mark exactly what checking every row marks."""
    frame = pl.DataFrame(
        {
            "source_file": ["a.csv"] * len(rows),
            "source_row": list(range(len(rows))),
            "_raw_hash": [(key or "-") + str(hash_) for hash_, key, _ in rows],
            "_dup_key": [key for _, key, _ in rows],
            # a row without a key is quarantined for it (the normaliser's checks)
            "_reason": [
                reason or (key is None and "REQUIRED_VALUE_MISSING") or None
                for _, key, reason in rows
            ],
        },
        schema_overrides={"_dup_key": pl.String, "_reason": pl.String},
    ).with_columns(pl.col("_raw_hash").hash())
    declared = SOURCES[source]
    marked = _mark_duplicates(frame, declared, {"a.csv": len(rows)})
    assert marked.equals(_duplicates_among(frame, declared))


@settings(max_examples=150, deadline=None)
@given(
    first=st.lists(st.integers(0, 6), max_size=8),
    second=st.lists(st.integers(0, 6), max_size=8),
)
def test_a_file_is_skipped_as_resent_exactly_when_every_row_is_in_an_earlier_file(first, second):
    """Compared with the plain reading of issue 21: "every row an exact duplicate of an
    earlier file's" (rows are their raw hash here; a row's key is its hash)."""
    frame = pl.DataFrame(
        {
            "source_file": ["a.csv"] * len(first) + ["b.csv"] * len(second),
            "source_row": list(range(len(first) + len(second))),
            "_raw_hash": [*first, *second],
            "_dup_key": [str(v) for v in [*first, *second]],
            "_reason": [None] * (len(first) + len(second)),
        },
        schema_overrides={"_raw_hash": pl.UInt64, "_reason": pl.String},
    )
    marked = _mark_duplicates(frame, SOURCES["hukou"], {"a.csv": len(first), "b.csv": len(second)})
    skipped = set(marked.filter(pl.col("_reason") == DUPLICATE_FILE)["source_file"])
    expected = {"b.csv"} if second and set(second) <= set(first) else set()
    assert skipped == expected


@pytest.mark.parametrize(
    "formats", [["csv"] * 6, ["xlsx"] * 6, ["csv", "xlsx"] * 3], ids=["csv", "xlsx", "mixed"]
)
def test_parsing_each_distinct_value_once_equals_parsing_every_row(formats):
    frame = pl.DataFrame(
        {
            "cell": ["2026-10-01", None, "45000", "2026-10-01", "45000", "bad"],
            "same": ["x"] * 6,
            "_format": formats,
        }
    )
    for expr in (
        parse_date(pl.col("cell"), pl.col("_format") == "xlsx"),  # reads a second column
        parse_fen(pl.col("cell")),
        pl.col("same").str.to_uppercase(),  # one distinct value
    ):
        for rows in (frame, frame.clear()):
            assert _per_value(rows, expr).equals(rows.select(expr).to_series())


_CELL = st.one_of(
    st.none(),
    st.from_regex(r"-?[0-9]{1,9}(\.[0-9]{1,3})?", fullmatch=True),  # plain amounts, near misses
    st.from_regex(r"[0-9]{13,18}", fullmatch=True),  # too long: an identity number, say
    # dirt: full-width and Arabic-Indic digits, separators, currency signs, white space
    st.text(st.sampled_from("0123456789０１２-.,， ¥￥元Xx\u3000\t٣"), max_size=20),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_CELL, max_size=30))
@example(  # the dirt extracts.md names, present whatever hypothesis draws
    ["1,234.50", " 12 ", "￥1,000元", "-300", "１２３", "12.345", "1" + "0" * 13, "1" + "0" * 17]
)
def test_the_amount_fast_path_gives_what_the_full_parser_gives(cells):
    frame = pl.DataFrame({"cell": cells}, schema={"cell": pl.String})
    parser = fen_parser(pl.col("cell"))
    full = frame.select(parser.full).to_series()
    parsed = _parsed(frame, parser)
    assert parsed.dtype == full.dtype
    assert parsed.to_list() == full.to_list()


def test_dirty_numbers_are_normalised_not_lost(deliveries, tiny_city):
    """Every planted person in the truth appears in the hukou with their clean number."""
    truth = pl.read_csv(truth_dir(tiny_city, PERIOD) / "leads.csv", infer_schema=False)
    typed_right = [f"repair_{k}" for k in ("homophone", "variant", "pinyin", "control")]
    in_hukou = truth.filter(
        ~pl.col("template").is_in(["id_invalid", "id_not_in_hukou", "invalid_row_bad_check_digit"])
        # identity-repair records whose number is wrong on purpose (synth.plant_repair)
        & (~pl.col("template").str.starts_with("repair_") | pl.col("template").is_in(typed_right))
    )
    identities = deliveries["hukou"].identities
    assert set(in_hukou["id_number"]) <= set(identities["id_number"])


def test_pseudonymous_tables_hold_no_identity_numbers_or_names(deliveries):
    for delivery in deliveries.values():
        for name in delivery.tables:
            frame = delivery.table(name)
            assert not {"id_number", "name", "id18", "certificate_no"} & set(frame.columns)
            text = frame.select(pl.col(pl.String)).write_csv()
            assert not any(n in text for n in delivery.identities["id_number"].head(50).to_list())


def test_dagster_assets_load_the_warehouse(tiny_city, tmp_path):
    resource = DoudiResource(
        inbox=str(tiny_city), out=str(tmp_path), warehouse=str(tmp_path / "w.duckdb")
    )
    for period in ("2026-09", PERIOD):
        result = dg.materialize(ingest_assets, partition_key=period, resources={"doudi": resource})
        assert result.success
    # the same period again replaces, never duplicates
    assert dg.materialize(
        ingest_assets, partition_key=PERIOD, resources={"doudi": resource}
    ).success
    con = duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True)
    counts = dict(con.sql("SELECT period, count(*) FROM ingested.hukou GROUP BY ALL").fetchall())
    dupes = con.sql(
        "SELECT count(*) - count(DISTINCT (period, person_key)) FROM ingested.hukou"
    ).fetchall()[0][0]
    accounting = con.sql(
        "SELECT sum(rows_read), sum(rows_loaded + rows_quarantined) FROM ingested.file_accounting WHERE period = ?",
        params=[PERIOD],
    ).fetchall()[0]
    con.close()
    assert set(counts) == {"2026-09", PERIOD}
    assert dupes == 0
    assert accounting[0] == accounting[1]
    # the spool holds identity numbers and names: nothing of it outlives the load but each
    # snapshot's memo (its last delivery, for the next month to reuse)
    kept = sorted(path.name for path in (tmp_path / "spool").iterdir())
    assert kept == sorted(f"memo-{s.name}" for s in SOURCES.values() if s.snapshot)


def test_the_spool_sits_beside_the_warehouse_until_discarded(tiny_city, key, tmp_path):
    """It holds identity numbers and names: never in the system temp folder, gone on discard."""
    spool_dir = tmp_path / "out" / "spool"
    delivery = ingest_source(
        "disability", PERIOD, tiny_city / PERIOD / "disability", tiny_city, key, spool_dir
    )
    (spool,) = spool_dir.iterdir()
    parts = sorted(p for p in spool.iterdir() if p.name != SPOOL_LOCK)
    assert [p.suffix for p in parts] == [".parquet"] * len(delivery.tables["disability"])
    assert "_id_number" in pl.read_parquet_schema(parts[0])
    delivery.discard_spool()
    assert not spool.exists()


def test_a_spool_left_by_a_killed_run_is_removed_and_a_running_ones_kept(tiny_city, key, tmp_path):
    spool_dir = tmp_path / "spool"
    left, running, unlocked = (
        spool_dir / f"doudi-spool-{name}"
        for name in ("medical-k1ll3d", "hukou-runn1ng", "lowincome-0ld")
    )
    for folder in (left, running, unlocked):
        folder.mkdir(parents=True)
        (folder / "00000.parquet").write_bytes(b"identity numbers")
    # a writer that took its spool's lock and was killed: the system released the lock
    script = "import fcntl, os, sys; f = open(sys.argv[1], 'w'); fcntl.flock(f, fcntl.LOCK_EX); os._exit(9)"
    killed = subprocess.run([sys.executable, "-c", script, str(left / SPOOL_LOCK)])
    assert killed.returncode == 9
    held = (running / SPOOL_LOCK).open("w")  # a writer still running holds it
    fcntl.flock(held, fcntl.LOCK_EX)
    delivery = ingest_source(
        "disability", PERIOD, tiny_city / PERIOD / "disability", tiny_city, key, spool_dir
    )
    assert any(left.name in warning for warning in delivery.warnings)
    # the delivery's own spool is in use until discarded: a second sweep leaves it
    (own,) = set(spool_dir.iterdir()) - {running, unlocked}
    assert sweep_spools(spool_dir) == []
    delivery.discard_spool()
    held.close()
    assert sorted(spool_dir.iterdir()) == [running, unlocked]
    assert not own.exists()


@pytest.mark.parametrize("source", ["medical", "hukou"])
def test_slicing_a_file_changes_nothing(deliveries, tiny_city, key, monkeypatch, source):
    """Files normalised in slices of a few rows (duplicates then span slices and files)
    give the same tables, people, quarantine and accounting as files taken whole."""
    from ingest import delivery as module

    whole = deliveries[source]
    monkeypatch.setattr(module, "SLICE_ROWS", 29)
    sliced = ingest_source(source, PERIOD, tiny_city / PERIOD / source, tiny_city, key)
    assert len(sliced.tables[source]) > 2 * len(whole.tables[source])  # files span slices
    assert sliced.table(source).equals(whole.table(source))
    for name in ("people", "quarantine"):
        assert sliced.vault[name].equals(whole.vault[name])
    assert sliced.identities.equals(whole.identities)
    assert sliced.accounting.equals(whole.accounting)


def test_a_missing_source_folder_lets_the_earlier_snapshot_stand(tiny_city, tmp_path):
    import shutil

    inbox = tmp_path / "inbox"
    shutil.copytree(tiny_city / "2026-09", inbox / "2026-09")
    shutil.copytree(tiny_city / PERIOD, inbox / PERIOD, ignore=shutil.ignore_patterns("disability"))
    resource = DoudiResource(
        inbox=str(inbox), out=str(tmp_path), warehouse=str(tmp_path / "w.duckdb")
    )
    assert dg.materialize(
        ingest_assets, partition_key="2026-09", resources={"doudi": resource}
    ).success
    result = dg.materialize(ingest_assets, partition_key=PERIOD, resources={"doudi": resource})
    assert result.success
    event = next(
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key == dg.AssetKey(["ingested", "disability"])
    )
    meta = event.materialization.metadata
    assert "2026-09 snapshot stands" in meta["delivery"].value


def test_a_rejected_file_fails_the_asset_naming_file_and_column(tiny_city, tmp_path):
    import shutil

    inbox = tmp_path / "inbox"
    shutil.copytree(tiny_city / PERIOD, inbox / PERIOD)
    target = sorted((inbox / PERIOD / "disability").glob("*.csv"))[0]
    data = target.read_bytes()
    frame = pl.read_csv(data.decode(detect_encoding(data)).encode(), infer_schema=False)
    frame.drop("残疾等级").write_csv(target)
    resource = DoudiResource(
        inbox=str(inbox), out=str(tmp_path), warehouse=str(tmp_path / "w.duckdb")
    )
    result = dg.materialize(
        ingest_assets, partition_key=PERIOD, resources={"doudi": resource}, raise_on_error=False
    )
    assert not result.success
    failure = next(e for e in result.all_events if e.is_step_failure)
    assert target.name in failure.step_failure_data.user_failure_data.description
    assert "残疾等级" in failure.step_failure_data.user_failure_data.description


def test_identities_keep_one_number_per_pseudonym_and_refuse_a_collision():
    from ingest.load import _record_identities

    con = duckdb.connect()
    people = pl.DataFrame({"person_key": [1, 2], "id_number": ["A", "B"]})
    _record_identities(con, people)
    _record_identities(con, people.vstack(pl.DataFrame({"person_key": [3], "id_number": ["C"]})))
    assert con.sql("SELECT * FROM vault.identities ORDER BY 1").fetchall() == [
        (1, "A"),
        (2, "B"),
        (3, "C"),
    ]
    with pytest.raises(PseudonymCollision, match="already belong"):
        _record_identities(con, pl.DataFrame({"person_key": [2], "id_number": ["X"]}))
    assert con.sql("SELECT count(*) FROM vault.identities").fetchall() == [(3,)]


def test_two_values_given_one_pseudonym_stop_the_ingest(key, monkeypatch):
    """Where the keys are made: a collision would merge two people (forced here with a
    'pseudonym' that is the value's length)."""
    monkeypatch.setattr(PseudonymKey, "key_sql", lambda self, value: f"length({value})::BIGINT")
    frame = pl.DataFrame({"id": ["A", "BC", None], "father": ["A", None, "DEF"]})
    keyed = add_keys(frame, key, {"k": "id", "father_k": "father"})
    assert keyed["k"].to_list() == [1, 2, None] and keyed["father_k"].to_list() == [1, None, 3]
    with pytest.raises(PseudonymCollision, match="two of 3 distinct values"):
        add_keys(frame.with_columns(father=pl.lit("XY")), key, {"k": "id", "father_k": "father"})


def _edited(folder: Path, into: Path) -> Path:
    """A copy of a delivery's folder as a department might send it next: its CSV files (in
    turn) re-encoded (UTF-8 and GB18030 swapped), with their data rows in reverse order,
    with a row deleted and with a value changed; xlsx files as they were."""
    into.mkdir(parents=True)
    csvs = sorted(p for p in folder.iterdir() if p.suffix == ".csv")
    assert csvs, "the tiny city delivers CSV files"
    for path in sorted(folder.iterdir()):
        if path.suffix != ".csv":
            shutil.copy(path, into / path.name)
            continue
        edits = {edit for edit in range(4) if csvs[edit % len(csvs)] == path}
        data = path.read_bytes()
        encoding = detect_encoding(data)
        header, *rows = data.decode(encoding).splitlines(keepends=True)
        if 1 in edits:
            rows = rows[::-1]
        if 2 in edits:
            del rows[len(rows) // 2]
        if 3 in edits:
            cells = rows[1].split(",")
            cells[1] = cells[1] + "改"
            rows[1] = ",".join(cells)
        if 0 in edits:
            encoding = "utf-8" if encoding == "gb18030" else "gb18030"
        (into / path.name).write_bytes((header + "".join(rows)).encode(encoding))
    return into


@pytest.mark.parametrize("source", [s.name for s in SOURCES.values() if s.snapshot])
def test_a_snapshot_reusing_last_months_rows_equals_a_full_ingest(tiny_city, key, tmp_path, source):
    """Issue 28: rows unchanged since the previous delivery are reused, not normalised and
    keyed again; tables, vault, quarantine and accounting are what a full re-ingest gives,
    with rows changed and deleted, a file re-encoded and a file reordered."""
    memo_dir = tmp_path / "spool"
    last = tiny_city / "2026-09" / source
    if not last.exists():
        pytest.skip(f"the tiny city does not deliver {source}")
    ingest_source(source, "2026-09", last, tiny_city, key, memo_dir).keep_spool()
    folder = _edited(tiny_city / PERIOD / source, tmp_path / "inbox" / PERIOD / source)
    inbox = tmp_path / "inbox"
    reused = ingest_source(source, PERIOD, folder, inbox, key, memo_dir)
    full = ingest_source(source, PERIOD, folder, inbox, key, tmp_path / "other", reuse=False)
    assert 0 < reused.rows_reused < reused.accounting["rows_read"].sum()
    assert full.rows_reused == 0
    for name in full.tables:
        assert reused.table(name).equals(full.table(name)), name
    for name in full.vault:
        assert reused.vault[name].equals(full.vault[name]), name
    assert reused.identities.equals(full.identities)
    assert reused.accounting.equals(full.accounting)
    assert reused.warnings == full.warnings


def test_reuse_from_a_memo_in_many_parts_with_rows_shuffled_equals_a_full_ingest(
    tiny_city, key, tmp_path, monkeypatch
):
    """Issue 28: reused rows are gathered in the slice's row order and merged with the new
    ones. With last month's files spooled in slices of a few rows and this month's rows
    shuffled, a slice draws its rows from several parts out of order (and, delivered twice,
    from one row twice): the tables, vault and accounting are still a full re-ingest's."""
    from ingest import delivery as module

    monkeypatch.setattr(module, "SLICE_ROWS", 37)
    memo_dir = tmp_path / "spool"
    last = tiny_city / "2026-09" / "hukou"
    ingest_source("hukou", "2026-09", last, tiny_city, key, memo_dir).keep_spool()
    folder = tmp_path / "inbox" / PERIOD / "hukou"
    folder.mkdir(parents=True)
    for path in sorted((tiny_city / PERIOD / "hukou").iterdir()):
        if path.suffix != ".csv":
            shutil.copy(path, folder / path.name)
            continue
        data = path.read_bytes()
        encoding = detect_encoding(data)
        header, *rows = data.decode(encoding).splitlines(keepends=True)
        shuffled = random.Random(path.name).sample(rows, len(rows))
        (folder / path.name).write_bytes((header + "".join(shuffled + rows[:3])).encode(encoding))
    reused = ingest_source("hukou", PERIOD, folder, tmp_path / "inbox", key, memo_dir)
    full = ingest_source(
        "hukou", PERIOD, folder, tmp_path / "inbox", key, tmp_path / "other", reuse=False
    )
    assert reused.rows_reused > reused.accounting["rows_read"].sum() // 2
    for name in full.tables:
        assert reused.table(name).equals(full.table(name)), name
    for name in full.vault:
        assert reused.vault[name].equals(full.vault[name]), name
    assert reused.accounting.equals(full.accounting)


def test_a_row_delivered_twice_takes_last_months_copies_in_order():
    """Issue 28 (ingest/memo.py, `_matched`): the n-th copy of a row now takes the n-th copy
    last month, so an unchanged file's rows are still wanted in the memo's own order and
    streamed from it; a third copy takes the first again."""
    from ingest.memo import _matched

    wanted = pl.DataFrame(
        {"_row": [10, 11, 12, 13], "_raw_hash": [1, 1, 2, 1], "_raw_hash2": [5, 5, 6, 5]},
        schema={"_row": pl.Int64, "_raw_hash": pl.UInt64, "_raw_hash2": pl.UInt64},
    )
    index = pl.DataFrame(
        {
            "_raw_hash": [1, 1, 2],
            "_raw_hash2": [5, 5, 6],
            "_part": [0, 0, 0],
            "_position": [0, 1, 2],
        },
        schema={
            "_raw_hash": pl.UInt64,
            "_raw_hash2": pl.UInt64,
            "_part": pl.UInt32,
            "_position": pl.UInt32,
        },
    )
    matched = _matched(wanted, index).sort("_row")
    assert matched["_position"].to_list() == [0, 1, 2, 0]


def test_a_row_the_period_judged_by_its_date_is_not_reused_a_month_later(key, tmp_path):
    """Issue 28 (a memo row is reused only when its normalisation cannot depend on the
    period): the same file delivered for 2026-09 and for 2026-10. extracts.md: a valid
    number has "a real birth date not after the period's end"; a date after it quarantines
    (DATE_AFTER_PERIOD). A 状态变更日期 and a father's birth in October are wrong in
    September and right in October: the October ingest must load both rows."""
    father = "32131120261005001"
    rows = [
        "公民身份号码,姓名,性别,出生日期,户号,与户主关系,父亲公民身份号码,母亲公民身份号码,"
        "乡镇街道代码,户籍地址,人员状态,状态变更日期",
        "321311199009210015,何飞国,男,1990-09-21,3213110130000002,户主,,,321311013,"
        "宿豫区保安乡东庄村133号,死亡,2026-10-15",
        "321311198706300011,田芳涵,男,1987-06-30,3213110120000003,户主,"
        f"{father}{check_char(father)},,321311012,宿豫区仰化镇新庄村127号,正常,",
    ]
    inbox = tmp_path / "inbox"
    for period in ("2026-09", PERIOD):
        (inbox / period / "hukou").mkdir(parents=True)
        (inbox / period / "hukou" / "321311_宿豫区.csv").write_text("\n".join(rows) + "\n")
    memo_dir = tmp_path / "spool"
    september = ingest_source("hukou", "2026-09", inbox / "2026-09" / "hukou", inbox, key, memo_dir)
    assert september.vault["quarantine"]["reason"].to_list() == ["DATE_AFTER_PERIOD"]
    assert september.table("hukou")["father_key"].to_list() == [None]
    september.keep_spool()
    october = ingest_source("hukou", PERIOD, inbox / PERIOD / "hukou", inbox, key, memo_dir)
    full = ingest_source(
        "hukou", PERIOD, inbox / PERIOD / "hukou", inbox, key, tmp_path / "x", reuse=False
    )
    assert october.rows_reused == 0
    assert october.table("hukou").equals(full.table("hukou"))
    assert october.table("hukou").height == 2
    assert october.table("hukou")["father_key"][1] is not None  # the father's number valid now


def test_a_memo_missing_a_part_is_not_used(tiny_city, key, tmp_path):
    """A memo someone damaged (a part removed) is ignored: everything is normalised again."""
    memo_dir = tmp_path / "spool"
    ingest_source(
        "hukou", "2026-09", tiny_city / "2026-09" / "hukou", tiny_city, key, memo_dir
    ).keep_spool()
    next(iter(sorted((memo_dir / "memo-hukou").glob("*.parquet")))).unlink()
    again = ingest_source("hukou", PERIOD, tiny_city / PERIOD / "hukou", tiny_city, key, memo_dir)
    assert again.rows_reused == 0
    assert again.accounting["rows_read"].sum() > 0
