"""Write a delivery into the DuckDB warehouse, replacing that period's rows.

Schemas: `ingested` holds the pseudonymous normalised tables and the run's
accounting; `vault` (restricted) holds identity numbers, names and the raw
values of quarantined rows.
"""

from __future__ import annotations

import duckdb
import polars as pl

from doudi_core.pseudonym import PseudonymCollision
from ingest.delivery import Delivery

PERIOD_COLUMN = {"medical": "delivery_period"}


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.sql(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            params=[schema, table],
        ).fetchall()[0][0]
    )


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
    as classic Arrow strings, every string copied first (a tenth of a settlements insert).
    """
    rows = frame.to_arrow(compat_level=pl.CompatLevel.newest())  # noqa: F841 (read by name)
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM rows")


def load_delivery(con: duckdb.DuckDBPyConnection, delivery: Delivery) -> None:
    """One transaction per delivery: a crash leaves the previous state, never half of one."""
    source, period = delivery.source, delivery.period
    con.execute("BEGIN TRANSACTION")
    try:
        for name, parts in delivery.tables.items():
            column = PERIOD_COLUMN.get(name, "period")
            replace_rows(con, f"ingested.{name}", parts, {column: period})
        for name, frame in delivery.vault.items():  # people, quarantine, and any source's own
            replace_rows(con, f"vault.{name}", frame, {"period": period, "source": source})
        summary = delivery.vault["quarantine"].drop("raw_values")
        replace_rows(con, "ingested.quarantine", summary, {"period": period, "source": source})
        replace_rows(
            con,
            "ingested.file_accounting",
            delivery.accounting,
            {"period": period, "source": source},
        )
        _record_identities(con, delivery.identities)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def _record_identities(con: duckdb.DuckDBPyConnection, identities: pl.DataFrame) -> None:
    """Add a delivery's new person_key -> identity number pairs (one per key); a key that
    already names another number is a pseudonym collision and stops the load (two numbers
    of one slice sharing a key were stopped where the keys are made: `add_keys`).

    One row per key is kept by construction (an anti-join), not by a PRIMARY KEY:
    DuckDB's index made inserting a city's six million people take seconds more.
    """
    con.execute("CREATE SCHEMA IF NOT EXISTS vault")
    con.execute(
        "CREATE TABLE IF NOT EXISTS vault.identities "
        "(person_key BIGINT NOT NULL, id_number VARCHAR NOT NULL)"
    )
    clash = con.sql(  # `identities` is read by its Python name, like `rows` in _insert
        "SELECT count(*) FROM identities p JOIN vault.identities v USING (person_key) "
        "WHERE v.id_number <> p.id_number"
    ).fetchall()[0][0]
    if clash:
        raise PseudonymCollision(f"{clash} pseudonyms already belong to other identity numbers")
    con.execute(
        "INSERT INTO vault.identities SELECT p.person_key, p.id_number FROM identities p "
        "ANTI JOIN vault.identities v ON v.person_key = p.person_key"
    )


def latest_delivery(con: duckdb.DuckDBPyConnection, source: str, period: str) -> str | None:
    """The latest period up to `period` with a delivery of `source`, or None."""
    table = f"ingested.{source}"
    column = PERIOD_COLUMN.get(source, "period")
    if not table_exists(con, "ingested", source):
        return None
    row = con.sql(
        f"SELECT max({column}) FROM {table} WHERE {column} <= ?", params=[period]
    ).fetchall()
    return row[0][0]


def clear_period(con: duckdb.DuckDBPyConnection, source: str, period: str) -> None:
    """Forget a period's delivery of `source` (its folder is gone on a re-run)."""
    tables = {f"ingested.{source}": PERIOD_COLUMN.get(source, "period")}
    if source == "lowincome":
        tables["ingested.lowincome_invalid_ids"] = "period"
    existing = {
        f"{s}.{t}"
        for s, t in con.sql(
            "SELECT table_schema, table_name FROM information_schema.tables"
        ).fetchall()
    }
    for table, column in tables.items():
        if table in existing:
            con.execute(f"DELETE FROM {table} WHERE {column} = ?", [period])
    for table in (
        "vault.people",
        "vault.quarantine",
        "ingested.quarantine",
        "ingested.file_accounting",
    ):
        if table in existing:
            con.execute(f"DELETE FROM {table} WHERE period = ? AND source = ?", [period, source])
