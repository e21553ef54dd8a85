"""Which deliveries each published period was built from (`exports.publications`).

`doudi run` reads it to refuse re-publishing a period from fewer deliveries than
its published run had (a wrong inbox would otherwise republish last month's
snapshots under this month's name).
"""

from __future__ import annotations

import datetime as dt

import duckdb
import polars as pl

from doudi_core.warehouse import append_rows, table_exists

TABLE = "exports.publications"


def record(con: duckdb.DuckDBPyConnection, period: str, written_at: dt.datetime) -> None:
    """Record that `period` was published from the sources its run ingested files of."""
    sources = con.sql(
        "SELECT DISTINCT source FROM ingested.file_accounting "
        "WHERE period = ? AND source <> 'feedback' ORDER BY source",
        params=[period],
    ).fetchall()
    row = pl.DataFrame(
        {
            "period": [period],
            "sources": [",".join(s for (s,) in sources)],
            "published_at": [written_at],
        },
        schema={"period": pl.String, "sources": pl.String, "published_at": pl.Datetime("us")},
    )
    append_rows(con, TABLE, row)  # append-only, like the workbook audit


def published_sources(con: duckdb.DuckDBPyConnection, period: str) -> list[str] | None:
    """The sources the latest publication of `period` was built from; None if never published."""
    schema, table = TABLE.split(".")
    if not table_exists(con, schema, table):
        return None
    rows = con.sql(
        f"SELECT sources FROM {TABLE} WHERE period = ? ORDER BY published_at DESC LIMIT 1",
        params=[period],
    ).fetchall()
    return [s for s in rows[0][0].split(",") if s] if rows else None
