"""Each person's latest name per source (`vault.latest_names`), kept by every load and
clear of `vault.people`, so a name look-up reads one row per person and source however
many months the warehouse holds (it read every period of `vault.people`, a cost that grew
by ~0.07 s a month per look-up at city, six look-ups a run).

A row (source, person_key, name, since) promises: the source's delivery of `since` named
the person `name`, and so did each later delivery naming them. A new month changes only
the rows whose name is new or different; a month loaded again first puts back, from the
earlier periods, the rows that month had made. `vault.latest_names_periods` says up to
which period each source's names are kept: a look-up for an earlier period (a backfill)
is answered from `vault.people` instead.
"""

from __future__ import annotations

import duckdb
import polars as pl

from doudi_core.warehouse import table_exists

LATEST = "vault.latest_names"
AS_OF = "vault.latest_names_periods"
_COLUMNS = "source VARCHAR, person_key BIGINT, name VARCHAR, since VARCHAR"


def record(con: duckdb.DuckDBPyConnection, source: str, period: str, people: pl.DataFrame) -> None:
    """Fold a delivery's names (`people`: person_key, name; already in `vault.people`) in."""
    if not table_exists(con, "vault", "latest_names"):
        _build(con)  # a warehouse from before these tables: made once, from vault.people
        return
    kept = _as_of(con).get(source)
    if kept is not None and period < kept:
        _rebuild(con, source)  # a backfill: later names may stand on this month's
        return
    if kept == period:
        _undo(con, source, period)  # the month loaded again: forget what it made
    _fold(con, source, period, people)
    _set_as_of(con, source, period)


def forget(con: duckdb.DuckDBPyConnection, source: str, period: str) -> None:
    """Take a delivery's names out of `vault.people` (its month is cleared) and out of the
    latest names."""
    kept = _as_of(con).get(source) if table_exists(con, "vault", "latest_names") else None
    if period == kept:
        _undo(con, source, period)  # the names stay kept up to `period`: none is later
    if not table_exists(con, "vault", "people"):
        return
    deleted = con.execute(
        "DELETE FROM vault.people WHERE source = ? AND period = ?", [source, period]
    ).fetchall()[0][0]
    if deleted and kept is not None and period < kept:
        _rebuild(con, source)  # a person last named in this month is now named by an earlier one


def names(con: duckdb.DuckDBPyConnection, keys: str, period: str) -> pl.DataFrame:
    """person_key, source, name: each of the persons in the registered view `keys`, as each
    source last named them up to `period`."""
    if (
        table_exists(con, "vault", "latest_names")
        and max(_as_of(con).values(), default="") <= period
    ):
        return con.sql(
            f"SELECT person_key, source, name FROM {LATEST} JOIN {keys} USING (person_key)"
        ).pl()
    return con.sql(
        f"""
        SELECT person_key, source, name FROM vault.people JOIN {keys} USING (person_key)
        WHERE period <= ?
        QUALIFY row_number() OVER (PARTITION BY person_key, source ORDER BY period DESC) = 1
        """,
        params=[period],
    ).pl()


def _fold(con: duckdb.DuckDBPyConnection, source: str, period: str, people: pl.DataFrame) -> None:
    """Rows for the persons this delivery names differently or first (the rest stand)."""
    delivered = people.select("person_key", "name")  # noqa: F841 (read by DuckDB by name)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE renamed AS SELECT d.person_key, d.name FROM delivered d "
        f"ANTI JOIN (SELECT person_key, name FROM {LATEST} WHERE source = ?) k "
        "ON k.person_key = d.person_key AND k.name IS NOT DISTINCT FROM d.name",
        [source],
    )
    con.execute(
        f"DELETE FROM {LATEST} WHERE source = ? AND person_key IN (SELECT person_key FROM renamed)",
        [source],
    )
    con.execute(
        f"INSERT INTO {LATEST} SELECT ?, person_key, name, ? FROM renamed", [source, period]
    )
    con.execute("DROP TABLE renamed")


def _undo(con: duckdb.DuckDBPyConnection, source: str, period: str) -> None:
    """Put back what the month's earlier load replaced: for the rows it made, each person's
    latest name before it (none for a person it named first)."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE made AS SELECT person_key FROM {LATEST} "
        "WHERE source = ? AND since = ?",
        [source, period],
    )
    con.execute(f"DELETE FROM {LATEST} WHERE source = ? AND since = ?", [source, period])
    _put_back(con, source, before=period, persons="made")
    con.execute("DROP TABLE made")


def _rebuild(con: duckdb.DuckDBPyConnection, source: str) -> None:
    con.execute(f"DELETE FROM {LATEST} WHERE source = ?", [source])
    _put_back(con, source)
    latest = con.sql(
        "SELECT max(period) FROM vault.people WHERE source = ?", params=[source]
    ).fetchall()[0][0]
    _set_as_of(con, source, latest)


def _put_back(
    con: duckdb.DuckDBPyConnection, source: str, before: str = "9999-12", persons: str = ""
) -> None:
    """Each person's latest name from `source` in `vault.people` before period `before`, for
    the persons of table `persons` (everyone when none is named)."""
    among = f"SEMI JOIN {persons} USING (person_key)" if persons else ""
    con.execute(
        f"""
        INSERT INTO {LATEST}
        SELECT source, person_key, name, period FROM vault.people {among}
        WHERE source = ? AND period < ?
        QUALIFY row_number() OVER (PARTITION BY person_key ORDER BY period DESC) = 1
        """,
        [source, before],
    )


def _build(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE TABLE {LATEST} ({_COLUMNS})")
    con.execute(f"CREATE TABLE {AS_OF} (source VARCHAR, period VARCHAR)")
    for (source,) in con.sql("SELECT DISTINCT source FROM vault.people").fetchall():
        _rebuild(con, source)


def _as_of(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    return dict(con.sql(f"SELECT source, period FROM {AS_OF}").fetchall())


def _set_as_of(con: duckdb.DuckDBPyConnection, source: str, period: str | None) -> None:
    con.execute(f"DELETE FROM {AS_OF} WHERE source = ?", [source])
    if period is not None:
        con.execute(f"INSERT INTO {AS_OF} VALUES (?, ?)", [source, period])
