"""The frames the suites validate, read from the warehouse for one source and period.

Derived columns carry the cross-column rules (reconciliation, sign of amounts,
birth date against the identity number) so the suites stay declarative.
"""

from __future__ import annotations

import duckdb
import polars as pl

from ingest.load import PERIOD_COLUMN


def table_frame(con: duckdb.DuckDBPyConnection, source: str, period: str) -> pl.DataFrame:
    column = PERIOD_COLUMN.get(source, "period")
    frame = con.sql(f"SELECT * FROM ingested.{source} WHERE {column} = ?", params=[period]).pl()
    if source == "medical":
        parts = (
            pl.col("fund_fen")
            + pl.col("critical_fen")
            + pl.col("assistance_fen")
            + pl.col("oop_fen")
        )
        amounts = pl.col("total_fen", "fund_fen", "critical_fen", "assistance_fen", "oop_fen")
        reversal = pl.col("reverses_id").is_not_null()
        frame = frame.with_columns(
            reconcile_diff_fen=pl.col("total_fen") - parts,
            amount_sign_ok=pl.when(reversal)
            .then(pl.all_horizontal(amounts <= 0))
            .otherwise(pl.all_horizontal(amounts >= 0)),
        )
    if source == "hukou":
        frame = frame.with_columns(
            birth_matches_id=(pl.col("birth_date") == pl.col("id_birth_date")).fill_null(True),
            status_dated=(pl.col("status") == "正常") | pl.col("status_date").is_not_null(),
        )
    return frame


def contract_columns(frame: pl.DataFrame) -> list[str]:
    """The loaded table's own columns (without the derived ones added above)."""
    derived = {"reconcile_diff_fen", "amount_sign_ok", "birth_matches_id", "status_dated"}
    return [c for c in frame.columns if c not in derived]


def reasons_frame(con: duckdb.DuckDBPyConnection, source: str, period: str) -> pl.DataFrame:
    """One row per row read: LOADED or its quarantine reason, with file and row."""
    return con.sql(
        """
        SELECT file AS source_file, row_number AS source_row, reason FROM ingested.quarantine
        WHERE period = ? AND source = ?
        UNION ALL
        SELECT file, NULL, 'LOADED' FROM ingested.file_accounting, range(rows_loaded)
        WHERE period = ? AND source = ?
        """,
        params=[period, source, period, source],
    ).pl()


def volume(
    con: duckdb.DuckDBPyConnection, source: str, period: str
) -> tuple[str | None, int, pl.DataFrame]:
    """The latest earlier delivery, its total volume, and per file name: rows now and then.

    Volume is rows for snapshots and, for the medical stream, settlements dated in
    their delivery's own month (a back-fill must not look like growth). Files
    are compared by name without extension (a county that switches from xlsx to
    CSV is the same file); a renamed file is simply not compared.
    """
    column = PERIOD_COLUMN.get(source, "period")
    own_month = f"AND strftime(settlement_date, '%Y-%m') = {column}" if source == "medical" else ""
    counts = con.sql(
        f"SELECT {column} AS p, source_file, count(*) AS n FROM ingested.{source} "
        f"WHERE {column} <= ? {own_month} GROUP BY ALL",
        params=[period],
    ).pl()
    earlier = counts.filter(pl.col("p") < period)
    if earlier.is_empty():
        return (
            None,
            0,
            pl.DataFrame(schema={"source_file": pl.String, "now": pl.Int64, "before": pl.Int64}),
        )
    previous = earlier["p"].max()
    stem = pl.col("source_file").str.replace(r"\.[^.]*$", "").alias("stem")
    before = counts.filter(pl.col("p") == previous).select(stem, before="n")
    now = counts.filter(pl.col("p") == period).select("source_file", stem, now="n")
    by_file = (
        now.join(before, on="stem", how="inner")
        .drop("stem")
        .cast({"now": pl.Int64, "before": pl.Int64})
    )
    return previous, int(before["before"].sum()), by_file.sort("source_file")
