"""Write a delivery into the DuckDB warehouse, replacing that period's rows.

Schemas: `ingested` holds the pseudonymous normalised tables and the run's
accounting; `vault` (restricted) holds identity numbers, names and the raw
values of quarantined rows.
"""

from __future__ import annotations

import duckdb
import polars as pl

from doudi_core.pseudonym import PseudonymCollision
from doudi_core.warehouse import replace_rows, table_exists, transaction
from ingest import latest_names
from ingest.delivery import Delivery
from sources.contract import Source


def load_delivery(con: duckdb.DuckDBPyConnection, delivery: Delivery) -> None:
    """One transaction per delivery: a crash leaves the previous state, never half of one."""
    source, period = delivery.source, delivery.period
    with transaction(con):
        for name, parts in delivery.tables.items():
            replace_rows(con, f"ingested.{name}", parts, {delivery.period_column: period})
        for name, frame in delivery.vault.items():  # people, quarantine, and any source's own
            replace_rows(con, f"vault.{name}", frame, {"period": period, "source": source})
        if "people" in delivery.vault:  # a feedback workbook names nobody anew
            latest_names.record(con, source, period, delivery.vault["people"])
        summary = delivery.vault["quarantine"].drop("raw_values")
        replace_rows(con, "ingested.quarantine", summary, {"period": period, "source": source})
        replace_rows(
            con,
            "ingested.file_accounting",
            delivery.accounting,
            {"period": period, "source": source},
        )
        _record_identities(con, delivery.identities)


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


class NothingStands(RuntimeError):
    """A snapshot source with no delivery for the period and none earlier to stand in."""


def stand_in(con: duckdb.DuckDBPyConnection, source: Source, period: str) -> str:
    """The period's folder holds no file of `source`: forget what an earlier run of the period
    loaded from it, and say what stands instead (extracts.md: the latest earlier snapshot; a
    stream simply has no new records)."""
    clear_period(con, source, period)
    stands = latest_delivery(con, source, period)
    if stands is None and not source.required:
        return f"never delivered up to {period}"
    if not source.snapshot:
        return f"no new records delivered for {period}"
    if stands is None:
        raise NothingStands(
            f"{source.name}: no delivery for {period} and no earlier snapshot to stand in"
        )
    return f"no new delivery for {period}; the {stands} snapshot stands"


def latest_delivery(con: duckdb.DuckDBPyConnection, source: Source, period: str) -> str | None:
    """The latest period up to `period` with a delivery of `source`, or None."""
    if not table_exists(con, "ingested", source.name):
        return None
    column = source.period_column
    row = con.sql(
        f"SELECT max({column}) FROM ingested.{source.name} WHERE {column} <= ?", params=[period]
    ).fetchall()
    return row[0][0]


def clear_period(con: duckdb.DuckDBPyConnection, source: Source, period: str) -> None:
    """Forget a period's delivery of `source` (its folder is gone on a re-run)."""
    for table in source.tables:
        if table_exists(con, "ingested", table):
            con.execute(f"DELETE FROM ingested.{table} WHERE {source.period_column} = ?", [period])
    latest_names.forget(con, source.name, period)
    for table in (
        "vault.quarantine",
        "ingested.quarantine",
        "ingested.file_accounting",
    ):
        if table_exists(con, *table.split(".")):
            con.execute(
                f"DELETE FROM {table} WHERE period = ? AND source = ?", [period, source.name]
            )
