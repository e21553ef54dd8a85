"""The benchmarks' generated city: two months (the first, and a routine month), the files
each month delivered, read as plainly as polars can (the read floor), and the arguments."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import python_calamine

from ingest.files import detect_encoding
from sources import SOURCES

ROOT = Path(__file__).resolve().parent
PERIOD = "2026-09"  # the first month
ROUTINE = "2026-10"  # the routine month: the second


def generate(scale: str, data: Path) -> None:
    if (data / "inbox" / PERIOD).exists() and (data / "inbox" / ROUTINE).exists():
        return
    shutil.rmtree(data / "inbox", ignore_errors=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "orchestration.cli",
            "generate",
            "--period",
            ROUTINE,
            "--months",
            "2",
            "--scale",
            scale,
            "--out",
            str(data / "inbox"),
        ],
        check=True,
    )


def read_floor(inbox: Path, period: str = PERIOD) -> dict[str, float]:
    """Seconds for polars merely to read each source's files of `period` into memory as
    strings."""
    floors = {}
    for source in SOURCES:
        started = time.perf_counter()
        for path in delivered_files(inbox, source, period):
            read_as_strings(path)
        floors[source] = time.perf_counter() - started
    return floors


def delivered_files(inbox: Path, source: str, period: str = PERIOD) -> list[Path]:
    """The source's files in the period's folder (none when the inbox has no such folder)."""
    folder = inbox / period / source
    return sorted(folder.iterdir()) if folder.is_dir() else []


def read_as_strings(path: Path) -> pl.DataFrame | list[list]:
    """A delivered file's cells, read as plainly as polars can: a CSV's as strings, an xlsx's
    as the Python values its reader gives.

    A GBK/GB18030 export is decoded as polars itself must (it reads only UTF-8
    natively): read as UTF-8 it would be mojibake, not the file's strings.
    """
    if path.suffix != ".csv":
        return (
            python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        )
    with path.open("rb") as handle:
        head = handle.read(1 << 20)
    utf8 = detect_encoding(head) != "gb18030"
    return pl.read_csv(
        path,
        infer_schema=False,
        encoding="utf8-lossy" if utf8 else "gb18030",
        truncate_ragged_lines=True,
    )


def parse_arguments(description: str) -> tuple[argparse.Namespace, Path]:
    """`--scale` and `--repeat` (the benchmark's and its bound's), and the scale's data folder."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--scale", default="small")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--without",
        metavar="SOURCE",
        help="also time runs on the inbox less this source, interleaved with the full runs "
        "(what the source adds end to end)",
    )
    args = parser.parse_args()
    return args, ROOT / "data" / args.scale
