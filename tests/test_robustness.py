"""Hostile and broken input, crashes and concurrent runs: a clear error or a quarantined row,
never a traceback, never a silently dropped row."""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile

import openpyxl
import polars as pl
import pytest

from doudi_core.runlock import RunInProgress, run_lock
from doudi_core.settings import Paths
from ingest.delivery import ingest_source
from ingest.files import FileRejected
from orchestration.runner import run_period
from sources import SOURCES

DISABILITY = SOURCES["disability"]

HEADER = ",".join(DISABILITY.columns)
ROW = "32130219900101123400,321302199001011234,张三,肢体,一级,2020-01-01,有效,是,是,321302001"


def _deliver(tmp_path, files: dict[str, bytes]):
    folder = tmp_path / "inbox" / "2026-10" / "disability"
    folder.mkdir(parents=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return folder


def _ingest(tmp_path, key, files):
    folder = _deliver(tmp_path, files)
    return ingest_source("disability", "2026-10", folder, tmp_path / "inbox", key)


def _balanced(delivery):
    acc = delivery.accounting
    return (
        acc["rows_read"] == acc["rows_loaded"] + acc["rows_quarantined"] + acc["rows_skipped"]
    ).all()


def test_a_truncated_csv_quarantines_the_cut_row(tmp_path, key):
    content = f"{HEADER}\n{ROW}\n{ROW[:40]}".encode()
    delivery = _ingest(tmp_path, key, {"a.csv": content})
    assert delivery.accounting["rows_read"][0] == 2
    assert delivery.vault["quarantine"]["row_number"].to_list() == [3]
    assert _balanced(delivery)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 100, "binary"),
        ("\ufeff".encode("utf-16-le") + HEADER.encode("utf-16-le"), "binary"),
        (f"{HEADER}\n{ROW},extra,fields\n".encode(), "malformed CSV"),
        (f'{HEADER}\n{ROW[:30]}"unterminated\n'.encode(), "malformed CSV"),
        (b"", "empty file"),
    ],
)
def test_broken_files_are_rejected_naming_the_file(tmp_path, key, content, message):
    with pytest.raises(FileRejected, match=message) as error:
        _ingest(tmp_path, key, {"bad.csv": content})
    assert "bad.csv" in str(error.value)


def test_a_rejected_delivery_leaves_no_spool(tmp_path, key):
    """The first file's rows were spooled (identity numbers, names) before the second was
    found broken: the failed ingest removes them itself, not whenever the delivery's
    objects are collected (the error's traceback keeps them alive)."""
    folder = _deliver(tmp_path, {"a.csv": f"{HEADER}\n{ROW}\n".encode(), "b.csv": b""})
    spool_dir = tmp_path / "out" / "spool"
    with pytest.raises(FileRejected, match="empty file"):
        ingest_source("disability", "2026-10", folder, tmp_path / "inbox", key, spool_dir)
    assert list(spool_dir.iterdir()) == []


def test_an_xlsx_that_is_a_zip_of_something_else(tmp_path, key):
    path = tmp_path / "x.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    with pytest.raises(FileRejected, match="not a readable xlsx"):
        _ingest(tmp_path, key, {"x.xlsx": path.read_bytes()})


def test_two_layouts_in_one_source_folder_are_both_read(tmp_path, key):
    columns = list(DISABILITY.columns)
    values = ROW.split(",")
    order = list(reversed(range(len(columns))))
    second = (
        ",".join(columns[i] for i in order)
        + ",备注\n"
        + ",".join(values[i] for i in order)
        + ",x\n"
    )
    other = values.copy()
    other[0], other[1] = "11010519491231002X11", "11010519491231002X"
    second += ",".join(other[i] for i in order) + ",y\n"
    delivery = _ingest(
        tmp_path, key, {"a.csv": f"{HEADER}\n{ROW}\n".encode(), "b.csv": second.encode("gb18030")}
    )
    assert delivery.accounting["rows_read"].to_list() == [1, 2]
    # b.csv's first row is a.csv's row in another column order: the same data, an exact duplicate
    assert delivery.table("disability").height == 2
    assert delivery.vault["quarantine"]["reason"].to_list() == ["DUPLICATE_ROW"]
    assert any("备注" in w for w in delivery.warnings)


def test_a_ten_million_character_cell_is_quarantined_not_loaded(tmp_path, key):
    huge = ROW.replace("张三", "张" * 10_000_000)
    delivery = _ingest(tmp_path, key, {"a.csv": f"{HEADER}\n{huge}\n{ROW}\n".encode()})
    assert delivery.vault["quarantine"]["reason"].to_list() == ["VALUE_TOO_LONG"]
    assert delivery.table("disability").height == 1
    assert _balanced(delivery)


def test_a_link_that_escapes_the_inbox_is_rejected(tmp_path, key):
    outside = tmp_path / "outside.csv"
    outside.write_text(f"{HEADER}\n{ROW}\n")
    folder = _deliver(tmp_path, {})
    (folder / "a.csv").symlink_to(outside)
    with pytest.raises(FileRejected, match="outside the inbox"):
        ingest_source("disability", "2026-10", folder, tmp_path / "inbox", key)


def test_the_same_delivery_placed_twice_counts_once(tiny_city, key, tmp_path):
    shutil.copytree(tiny_city / "2026-10" / "medical", tmp_path / "inbox" / "2026-10" / "medical")
    once = ingest_source(
        "medical", "2026-10", tmp_path / "inbox" / "2026-10" / "medical", tmp_path / "inbox", key
    )
    folder = tmp_path / "inbox" / "2026-10" / "medical"
    for path in sorted(folder.iterdir()):
        shutil.copy(path, folder / f"zz_copy_{path.name}")
    twice = ingest_source("medical", "2026-10", folder, tmp_path / "inbox", key)
    assert (
        twice.table("medical")
        .sort("settlement_id")
        .equals(once.table("medical").sort("settlement_id"))
    )
    assert _balanced(twice)
    # "Recognise a whole-file duplicate (same SHA-256, or every row an exact duplicate of an
    # earlier file's) and skip it with a warning and its own line in the accounting" (issue 21)
    copies = twice.accounting.filter(pl.col("file").str.starts_with("zz_copy_"))
    assert copies.height == 8
    assert (copies["rows_skipped"] == copies["rows_read"]).all() and copies["rows_read"].sum() > 0
    assert (copies["rows_loaded"] == 0).all() and (copies["rows_quarantined"] == 0).all()
    assert twice.vault["quarantine"].equals(once.vault["quarantine"])
    assert sum("byte-identical to" in w for w in twice.warnings) == 8


def test_a_resend_of_the_same_rows_under_another_name_and_format_is_skipped(tmp_path, key):
    """The rows of a.csv again, re-encoded (GB18030) and in another row order: skipped; a file
    that adds one new row to them is a delivery of its own and is loaded."""
    other = ROW.replace("321302199001011234", "11010519491231002X").replace(
        "32130219900101123400", "11010519491231002X11"
    )
    delivery = _ingest(
        tmp_path,
        key,
        {
            "a.csv": f"{HEADER}\n{ROW}\n{other}\n".encode(),
            "b_resend.csv": f"{HEADER}\n{other}\n{ROW}\n".encode("gb18030"),
            "c_more.csv": f"{HEADER}\n{ROW}\n{ROW.replace('张三', '李四')}\n".encode(),
        },
    )
    acc = {r["file"]: r for r in delivery.accounting.iter_rows(named=True)}
    assert acc["b_resend.csv"]["rows_skipped"] == 2 and acc["b_resend.csv"]["rows_quarantined"] == 0
    assert acc["c_more.csv"]["rows_skipped"] == 0 and acc["c_more.csv"]["rows_read"] == 2
    assert acc["a.csv"]["rows_loaded"] == 2
    assert any("b_resend.csv: skipped" in w and "every row already" in w for w in delivery.warnings)
    assert (
        delivery.accounting["rows_read"]
        == delivery.accounting["rows_loaded"]
        + delivery.accounting["rows_quarantined"]
        + delivery.accounting["rows_skipped"]
    ).all()


def test_a_second_run_on_the_same_output_stops_with_a_clear_message(tmp_path, capsys):
    paths = Paths(
        inbox=tmp_path / "inbox", out=tmp_path / "out", warehouse=tmp_path / "out" / "w.duckdb"
    )
    _deliver(tmp_path, {"a.csv": f"{HEADER}\n{ROW}\n".encode()})
    with run_lock(paths.out):
        assert run_period("2026-10", paths) == 3
        assert f"another doudi run (pid {os.getpid()})" in capsys.readouterr().err
        with pytest.raises(RunInProgress), run_lock(paths.out):
            pass


def _doudi(args, env):
    return subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", *args],
        env=env,
        stdout=subprocess.DEVNULL,
    )


def _kill_when(process: subprocess.Popen, reached, what: str) -> None:
    """Kill the run once `reached()` holds; it must still be running then."""
    deadline = time.monotonic() + 120
    while not reached():
        assert process.poll() is None, f"the run ended before {what}"
        assert time.monotonic() < deadline, f"never reached {what}"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL, f"the run had ended by {what}"


@pytest.mark.slow
def test_a_run_killed_part_way_then_run_again_gives_the_same_outputs(tiny_city, tmp_path):
    """Killed while a source is being ingested (its spool exists), after the leads file was
    written, and while dbt builds: each time the visible files are whole and a second run
    gives the same leads file, byte for byte."""
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path / "dh")}
    reference = tmp_path / "reference"
    assert (
        _doudi(
            ["run", "--period", "2026-08", "--inbox", str(tiny_city), "--out", str(reference)], env
        ).wait()
        == 0
    )
    expected = hashlib.sha256((reference / "leads" / "2026-08.parquet").read_bytes()).hexdigest()
    moments = {
        "ingesting": lambda out: any((out / "spool").glob("doudi-spool-*")),
        "leads written": lambda out: (out / "leads" / "2026-08.parquet").exists(),
        "dbt building": lambda out: (out / "dbt" / "2026-08").exists(),
    }
    for moment, reached in moments.items():
        out = tmp_path / moment.replace(" ", "_")
        process = _doudi(
            ["run", "--period", "2026-08", "--inbox", str(tiny_city), "--out", str(out)], env
        )
        _kill_when(process, lambda out=out, reached=reached: reached(out), moment)
        # atomic writes: a temporary file has a hidden name; whatever is visible is whole
        visible = [
            p
            for p in out.rglob("*")
            if p.suffix in (".parquet", ".xlsx") and not p.name.startswith(".")
        ]
        for path in visible:
            if path.suffix == ".parquet":
                pl.read_parquet(path)
            else:
                openpyxl.load_workbook(path, read_only=True).close()
        assert (
            _doudi(
                ["run", "--period", "2026-08", "--inbox", str(tiny_city), "--out", str(out)], env
            ).wait()
            == 0
        )
        again = hashlib.sha256((out / "leads" / "2026-08.parquet").read_bytes()).hexdigest()
        assert again == expected, f"killed while {moment}"
