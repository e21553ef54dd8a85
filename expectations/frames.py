"""What the suites validate for one source and period: a query over the delivery's rows,
and small frames read from the warehouse (per-file accounting, volumes, the schema).

The query names only the columns a suite's expectations name (a city's medical
delivery is millions of rows); cross-column rules are derived columns computed
in SQL so the suites stay declarative.
"""

from __future__ import annotations

import re

import duckdb
import great_expectations as gx
import polars as pl

from ingest.identity import ID_REASONS
from sources.contract import Source


def needed_columns(suite: gx.ExpectationSuite) -> list[str]:
    return sorted({e.column for e in suite.expectations if getattr(e, "column", None)})


def columns_query(source: Source, period: str, columns: list[str]) -> str:
    """SQL for the named columns (derived ones computed) with file and row for examples.

    GX's query assets take no parameters, so the period is inlined, and only
    after it has been checked to be a plain YYYY-MM.
    """
    if not re.fullmatch(r"\d{4}-\d{2}", period):
        raise ValueError(f"not a period: {period!r}")
    derived = source.derived
    select = ", ".join(f"{derived[c]} AS {c}" if c in derived else c for c in columns)
    return (
        f"SELECT {select}, source_file, source_row FROM ingested.{source.name} "
        f"WHERE {source.period_column} = '{period}'"
    )


def duplicate_keys(
    con: duckdb.DuckDBPyConnection, source: Source, period: str, limit: int = 5
) -> tuple[pl.DataFrame, list[str]]:
    """Rows repeating a key already seen (one row: `duplicate_rows`), and file:row of a few.

    One exact count in SQL: GX's own uniqueness expectation groups a city's
    12.5 M settlement ids three times over (count, values, rows), ~7 s; ingest
    already quarantines duplicates, so this is a check that they did not slip by.
    """
    key = source.key_sql
    where = f"FROM ingested.{source.name} WHERE {source.period_column} = ?"
    repeated = con.sql(
        f"SELECT count(*) - count(DISTINCT {key}) {where}", params=[period]
    ).fetchall()[0][0]
    examples = []
    if repeated:
        rows = con.sql(
            f"SELECT source_file, source_row {where} AND {key} IN "
            f"(SELECT {key} {where} GROUP BY {key} HAVING count(*) > 1) "
            "ORDER BY source_file, source_row LIMIT ?",
            params=[period, period, limit],
        ).fetchall()
        examples = [f"{file}:{row}" for file, row in rows]
    return pl.DataFrame({"duplicate_rows": [repeated]}), examples


def schema_frame(con: duckdb.DuckDBPyConnection, source: Source) -> pl.DataFrame:
    return con.sql(f"SELECT * FROM ingested.{source.name} LIMIT 0").pl()


def accounting(con: duckdb.DuckDBPyConnection, source: str, period: str) -> pl.DataFrame:
    """One row per file: rows read, quarantined, skipped (a resent file), and with an invalid
    identity number."""
    reasons = ", ".join(f"'{r}'" for r in ID_REASONS)
    return con.sql(
        f"""
        SELECT a.file AS source_file, a.rows_read, a.rows_quarantined, a.rows_skipped,
               count(q.reason) FILTER (WHERE q.reason IN ({reasons})) AS invalid_ids
        FROM ingested.file_accounting a
        LEFT JOIN ingested.quarantine q ON q.period = a.period AND q.source = a.source AND q.file = a.file
        WHERE a.period = ? AND a.source = ?
        GROUP BY ALL ORDER BY source_file
        """,
        params=[period, source],
    ).pl()


def previous_quarantine_share(
    con: duckdb.DuckDBPyConnection, source: str, period: str
) -> tuple[str, float] | None:
    """The latest earlier delivery of `source` and the share of its rows quarantined."""
    row = con.sql(
        """
        SELECT period, sum(rows_quarantined) / greatest(sum(rows_read - rows_skipped), 1)
        FROM ingested.file_accounting WHERE source = ? AND period < ?
        GROUP BY period ORDER BY period DESC LIMIT 1
        """,
        params=[source, period],
    ).fetchall()
    return (row[0][0], float(row[0][1])) if row else None


def quarantine_examples(
    con: duckdb.DuckDBPyConnection, source: str, period: str, limit: int = 5
) -> list[str]:
    rows = con.sql(
        "SELECT file, row_number, reason FROM ingested.quarantine WHERE period = ? AND source = ? "
        "ORDER BY file, row_number LIMIT ?",
        params=[period, source, limit],
    ).fetchall()
    return [f"{file}:{row} {reason}" for file, row, reason in rows]


def volume(
    con: duckdb.DuckDBPyConnection, source: Source, period: str
) -> tuple[str | None, int, int, pl.DataFrame]:
    """The latest earlier delivery, its volume and this one's, and per file name: rows now and then.

    Volume is rows for snapshots and, for the medical stream, settlements dated in
    their delivery's own month (a back-fill must not look like growth). Files
    are compared by name without extension (a county that switches from xlsx to
    CSV is the same file); a renamed file is simply not compared.
    """
    column = source.period_column
    counted = f"AND {source.volume_filter}" if source.volume_filter else ""
    counts = con.sql(
        f"SELECT {column} AS p, source_file, count(*) AS n FROM ingested.{source.name} "
        f"WHERE {column} <= ? {counted} GROUP BY ALL",
        params=[period],
    ).pl()
    now = counts.filter(pl.col("p") == period)
    earlier = counts.filter(pl.col("p") < period)
    empty = pl.DataFrame(schema={"source_file": pl.String, "now": pl.Int64, "before": pl.Int64})
    if earlier.is_empty():
        return None, 0, int(now["n"].sum()), empty
    previous = earlier["p"].max()
    stem = pl.col("source_file").str.replace(r"\.[^.]*$", "").alias("stem")
    before = counts.filter(pl.col("p") == previous).select(stem, before="n")
    by_file = (
        now.select("source_file", stem, now="n")
        .join(before, on="stem", how="inner")
        .drop("stem")
        .cast({"now": pl.Int64, "before": pl.Int64})
    )
    return previous, int(before["before"].sum()), int(now["n"].sum()), by_file.sort("source_file")
