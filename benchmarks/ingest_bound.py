"""`make bench-bound SCALE=…`: how close to its read floor any ingest could come here.

The benchmark's ingest target is 2.0 × a plain polars read of the files. This times,
on the same files and in one process, the work no ingest into this warehouse can skip,
each part done as cheaply as the libraries allow:

- read: the floor itself;
- least normalising: the two big sources' amounts and dates typed with one cast each, and
  their identity numbers cleaned as ingest cleans them (`identity.clean`), not checked
  (the contract's other formats, code tables and checksums only add);
- pseudonyms: the keyed hash of each distinct identity number and name, once;
- load: inserting the typed tables and the numbers behind the pseudonyms into DuckDB
  (copied from the warehouse a `make bench` run left, so they are the real tables).

Their CPU seconds over the machine's cores give a wall time no ingest can beat even with
every core busy throughout; over the floor's wall time, the best ratio possible.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import duckdb
import polars as pl

from benchmarks.city import (
    PERIOD,
    ROOT,
    SOURCES,
    delivered_files,
    parse_arguments,
    read_as_strings,
)
from doudi_core.pseudonym import PseudonymKey
from doudi_core.warehouse import DUCKDB_CONFIG
from ingest import identity
from ingest.values import normalise_name

T = TypeVar("T")
# the warehouse's tables every ingest must write: the typed sources and, in the vault, the
# number behind each pseudonym and each person's name (once, as the register gives it)
LOADED = {
    "ingested.medical": "FROM ingested.medical WHERE delivery_period = $period",
    "ingested.hukou": "FROM ingested.hukou WHERE period = $period",
    "ingested.disability": "FROM ingested.disability WHERE period = $period",
    "ingested.lowincome": "FROM ingested.lowincome WHERE period = $period",
    "vault.identities": "FROM vault.identities",  # every number delivered so far
    "vault.people": "FROM vault.people WHERE source = 'hukou' AND period = $period",
}
AMOUNTS = ["医疗总费用", "统筹基金支付", "大病保险支付", "医疗救助支付", "个人自付"]


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process
    return usage.ru_utime + usage.ru_stime


def timed(work: Callable[[], T]) -> tuple[T, dict[str, float]]:
    """What `work` returns, and the wall and CPU seconds it took."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    result = work()
    return result, {"wall_s": time.perf_counter() - wall, "cpu_s": cpu_seconds() - cpu}


def least_normalised(source: str, rows: pl.DataFrame) -> pl.DataFrame:
    """One cast per column a typed table needs from the two big sources (a column the
    file names otherwise, or lacks, is left out: the bound only gets lower). The one-format
    date and the plain cast stand in for ingest's own parsers on purpose: they measure the
    least such a column can cost, not doudi's way of doing it."""

    def number(column: str) -> pl.Expr:
        return identity.clean(pl.col(column))

    def day(column: str) -> pl.Expr:
        return pl.col(column).str.to_date("%Y-%m-%d", strict=False)

    def amount(column: str) -> pl.Expr:
        return pl.col(column).str.strip_chars().cast(pl.Float64, strict=False)

    casts = (
        {**dict.fromkeys(AMOUNTS, amount), "结算日期": day, "公民身份号码": number}
        if source == "medical"
        else {
            **dict.fromkeys(["公民身份号码", "父亲公民身份号码", "母亲公民身份号码"], number),
            **dict.fromkeys(["出生日期", "状态变更日期"], day),
        }
    )
    return rows.select(cast(c) for c, cast in casts.items() if c in rows.columns)


def read_and_normalise(inbox: Path) -> tuple[dict[str, float], dict[str, float]]:
    """The floor (every file read, as `make bench` reads it) and the least normalising of
    medical and hukou, on each file as it is read (CSV files only: an xlsx file's rows are
    left out of the normalising, and the bound only gets lower)."""
    read = {"wall_s": 0.0, "cpu_s": 0.0}
    normalise = dict(read)
    for source in SOURCES:
        for path in delivered_files(inbox, source):
            cells, spent = timed(lambda path=path: read_as_strings(path))
            _add(read, spent)
            if source in ("medical", "hukou") and isinstance(cells, pl.DataFrame):
                _add(
                    normalise,
                    timed(lambda cells=cells, source=source: least_normalised(source, cells))[1],
                )
            del cells
    return read, normalise


def _add(total: dict[str, float], spent: dict[str, float]) -> None:
    for name, seconds in spent.items():
        total[name] += seconds


def pseudonym_seconds(warehouse: duckdb.DuckDBPyConnection) -> tuple[dict[str, float], int]:
    """The keyed hash (as ingest computes it, in DuckDB) of each distinct number and name."""
    names = warehouse.sql(
        "SELECT DISTINCT name FROM vault.people WHERE source IN ('hukou', 'lowincome')"
    ).pl()
    numbers = warehouse.sql("SELECT id_number AS value FROM vault.identities").pl()
    values = pl.concat(
        [numbers, names.select(("name:" + normalise_name(pl.col("name"))).alias("value"))]
    ).unique()
    key = PseudonymKey(os.urandom(32), "bound")
    con = duckdb.connect(config=DUCKDB_CONFIG)
    con.register("distinct_values", values)
    try:
        query = f"SELECT value, {key.key_sql('value')} AS pseudonym FROM distinct_values"
        return timed(lambda: con.sql(query).pl())[1], values.height
    finally:
        con.close()


def load_seconds(
    warehouse: duckdb.DuckDBPyConnection, scratch: Path
) -> tuple[dict[str, float], int]:
    """Inserting the tables every ingest must write into a fresh DuckDB file, and their rows."""
    tables = {
        name: warehouse.sql(query, params={"period": PERIOD} if "$period" in query else None).pl()
        for name, query in LOADED.items()
    }
    target = duckdb.connect(str(scratch / "bound.duckdb"))

    def insert() -> None:
        for name, frame in tables.items():
            target.register("frame", frame)
            target.execute(f"CREATE TABLE {name} AS FROM frame")
            target.unregister("frame")

    try:
        target.execute("CREATE SCHEMA ingested; CREATE SCHEMA vault")
        return timed(insert)[1], sum(frame.height for frame in tables.values())
    finally:
        target.close()


def one_measure(inbox: Path, warehouse_path: Path) -> dict:
    """Each part once, on the files of `inbox` and the tables of a warehouse made from them."""
    read, normalise = read_and_normalise(inbox)
    parts = {"read (the floor)": read, "least normalising": normalise}
    warehouse = duckdb.connect(str(warehouse_path), read_only=True)
    try:
        parts["pseudonyms"], hashed = pseudonym_seconds(warehouse)
        with tempfile.TemporaryDirectory(dir=warehouse_path.parent) as scratch:
            parts["load"], rows_loaded = load_seconds(warehouse, Path(scratch))
    finally:
        warehouse.close()
    cores = os.cpu_count() or 1
    floor_s = parts["read (the floor)"]["wall_s"]
    cpu = sum(p["cpu_s"] for p in parts.values())
    return {
        "parts": parts,
        "values_hashed": hashed,
        "rows_loaded": rows_loaded,
        "cpu_s": cpu,
        "floor_s": floor_s,
        "best_ratio": cpu / cores / floor_s,
    }


def main() -> int:
    args, data = parse_arguments(__doc__)
    if not (data / "out" / "warehouse.duckdb").exists():
        sys.exit(f"no warehouse in {data / 'out'}: run `make bench SCALE={args.scale}` first")
    measures = []
    for i in range(args.repeat):
        measures.append(one_measure(data / "inbox", data / "out" / "warehouse.duckdb"))
        print(
            f"[bound] {i + 1}/{args.repeat}: best ratio {measures[-1]['best_ratio']:.2f}",
            flush=True,
        )
    middle = sorted(measures, key=lambda m: m["best_ratio"])[len(measures) // 2]
    bench = json.loads((ROOT / "results" / f"{args.scale}.json").read_text())
    result = {
        "scale": args.scale,
        "cores": os.cpu_count(),
        "repeat": args.repeat,
        "best_ratios": [round(m["best_ratio"], 2) for m in measures],
        "best_ratio": round(statistics.median(m["best_ratio"] for m in measures), 2),
        "median_measure": {
            "floor_s": round(middle["floor_s"], 2),
            "cpu_s": round(middle["cpu_s"], 1),
            "values_hashed": middle["values_hashed"],
            "rows_loaded": middle["rows_loaded"],
            "parts": {
                k: {n: round(v, 2) for n, v in p.items()} for k, p in middle["parts"].items()
            },
        },
        "measured_ingest_floor_ratio": bench["ingest_floor_ratio"],
    }
    path = ROOT / "results" / f"{args.scale}-ingest-bound.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(f"\n{'part':<22}{'wall s':>10}{'CPU s':>10}")
    for name, part in middle["parts"].items():
        print(f"{name:<22}{part['wall_s']:>10.1f}{part['cpu_s']:>10.1f}")
    print(
        f"\n{middle['cpu_s']:.1f} CPU s on {os.cpu_count()} cores against a {middle['floor_s']:.1f} s "
        f"floor: no ingest here can be under {result['best_ratio']:.2f} × the floor "
        f"(median of {args.repeat}); this ingest measured {bench['ingest_floor_ratio']} ×"
        f"\nwrote {path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
