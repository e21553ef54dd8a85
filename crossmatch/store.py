"""Lead states in the warehouse (schema `leads`, pseudonymous)."""

from __future__ import annotations

import duckdb
import polars as pl

from crossmatch.lifecycle import STATE_SCHEMA
from ingest.load import replace_rows, table_exists


def previous_states(con: duckdb.DuckDBPyConnection, period: str) -> pl.DataFrame:
    """State rows of the latest period before `period` (empty on the first run)."""
    if not table_exists(con, "leads", "lead_states"):
        return pl.DataFrame(schema=STATE_SCHEMA)
    return con.sql(
        "SELECT * FROM leads.lead_states WHERE period = (SELECT max(period) FROM leads.lead_states WHERE period < ?)",
        params=[period],
    ).pl()


def save_states(con: duckdb.DuckDBPyConnection, period: str, states: pl.DataFrame) -> None:
    con.execute("BEGIN TRANSACTION")
    try:
        replace_rows(con, "leads.lead_states", states, {"period": period})
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def closures(con: duckdb.DuckDBPyConnection, period: str) -> pl.DataFrame:
    """Verification results returned in this period's feedback that close a lead."""
    if not table_exists(con, "ingested", "feedback"):
        return pl.DataFrame(schema={"lead_id": pl.String, "result": pl.String})
    return con.sql(
        "SELECT lead_id, any_value(result ORDER BY file, row_number) AS result FROM ingested.feedback "
        "WHERE period = ? AND closes GROUP BY lead_id",
        params=[period],
    ).pl()
