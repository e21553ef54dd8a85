"""Lead states in the warehouse (schema `leads`, pseudonymous)."""

from __future__ import annotations

import duckdb
import polars as pl

from crossmatch.lifecycle import STATE_SCHEMA
from doudi_core.warehouse import query_or_empty, replace_rows, transaction


def previous_states(con: duckdb.DuckDBPyConnection, period: str) -> pl.DataFrame:
    """State rows of the latest period before `period` (empty on the first run)."""
    return query_or_empty(
        con,
        "leads.lead_states",
        "SELECT * FROM leads.lead_states WHERE period = "
        "(SELECT max(period) FROM leads.lead_states WHERE period < ?)",
        [period],
        STATE_SCHEMA,
    )


def save_states(
    con: duckdb.DuckDBPyConnection,
    period: str,
    states: pl.DataFrame,
    elder_coverage: pl.DataFrame,
    death_facts: pl.DataFrame,
) -> None:
    """The period's lead states and the facts its rules weighed (for the marts), together."""
    with transaction(con):
        replace_rows(con, "leads.lead_states", states, {"period": period})
        replace_rows(
            con,
            "leads.elder_coverage_people",
            elder_coverage.select(pl.lit(period).alias("period"), pl.all()),
            {"period": period},
        )
        replace_rows(
            con,
            "leads.death_facts",
            death_facts.select(pl.lit(period).alias("period"), pl.all()),
            {"period": period},
        )


def closures(con: duckdb.DuckDBPyConnection, period: str) -> pl.DataFrame:
    """Verification results returned in this period's feedback that close a lead."""
    return query_or_empty(
        con,
        "ingested.feedback",
        "SELECT lead_id, any_value(result ORDER BY file, row_number) AS result FROM ingested.feedback "
        "WHERE period = ? AND closes GROUP BY lead_id",
        [period],
        {"lead_id": pl.String, "result": pl.String},
    )
