"""The DuckDB warehouse's helpers, shared by every stage: existence, transactions, writing
frames, and reading a table that may not exist yet."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import polars as pl

# DuckDB would take 80 % of RAM by default; it spills to disk beyond this. Every connection
# of a process (GX's too) uses the same configuration: DuckDB requires it within a process.
DUCKDB_CONFIG = {"memory_limit": "2GB"}


@contextmanager
def connect(path: Path | str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the warehouse file, closed after use: DuckDB lets one process write
    a file at a time, and a connection left open keeps its lock."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), config=DUCKDB_CONFIG)
    try:
        yield con
    finally:
        con.close()


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.sql(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            params=[schema, table],
        ).fetchall()[0][0]
    )


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """All of the block's writes, or none: a crash leaves the previous state."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def query_or_empty(
    con: duckdb.DuckDBPyConnection,
    table: str,
    sql: str,
    params: list,
    empty: dict[str, pl.DataType],
) -> pl.DataFrame:
    """`sql`'s rows, or an empty frame of schema `empty` before `table` exists (a first run)."""
    schema, name = table.split(".")
    if not table_exists(con, schema, name):
        return pl.DataFrame(schema=empty)
    return con.sql(sql, params=params).pl()


def replace_rows(
    con: duckdb.DuckDBPyConnection,
    table: str,
    parts: pl.DataFrame | list[pl.LazyFrame],
    where: dict[str, str],
) -> None:
    """Create `table` from the rows' schema if needed, then swap in the rows (a part at a
    time: a city's settlements are never in memory whole)."""
    parts = [parts.lazy()] if isinstance(parts, pl.DataFrame) else parts
    schema = table.split(".")[0]
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    _create_like(con, table, parts[0].head(0).collect())
    condition = " AND ".join(f"{column} = ?" for column in where)
    con.execute(f"DELETE FROM {table} WHERE {condition}", list(where.values()))
    for part in parts:  # as one contiguous chunk: DuckDB inserts a part read from Parquet faster
        _insert(con, table, part.collect().rechunk())


def append_rows(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {table.split('.')[0]}")
    _create_like(con, table, frame)
    _insert(con, table, frame)


def _create_like(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """Create the table from the frame's schema; a column added since it was created (a
    warehouse made by an earlier version) is added to it, null in its earlier rows."""
    con.execute(f"CREATE TABLE IF NOT EXISTS {table} AS SELECT * FROM frame LIMIT 0")
    schema, name = table.split(".")
    existing = {
        column
        for (column,) in con.sql(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ?",
            params=[schema, name],
        ).fetchall()
    }
    for column in frame.columns:
        if column not in existing:
            con.execute(
                f"ALTER TABLE {table} ADD COLUMN {column} "
                f"{con.sql(f'SELECT {column} FROM frame LIMIT 0').types[0]}"
            )


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    """DuckDB reads `rows` by its Python name (a replacement scan): a `register`ed frame
    stays in memory until the connection closes, a city's settlements several times over.

    Handed over as Arrow string views, polars' own layout: a polars frame goes to DuckDB
    as classic Arrow strings, every string copied first.
    """
    rows = frame.to_arrow(compat_level=pl.CompatLevel.newest())  # noqa: F841 (read by name)
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM rows")
