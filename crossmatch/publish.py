"""The leads file, OUT/leads/<period>.parquet (outputs.md): the one place, with the
workbooks, where leads meet identity numbers and names again (from the vault)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from doudi_core.config import Config
from doudi_core.files import written_atomically
from ingest import latest_names

LEADS_FILE_COLUMNS = [
    "lead_id",
    "period",
    "rule_code",
    "priority",
    "status",
    "id_number",
    "name",
    "county_code",
    "town_code",
    "household_id",
    "evidence",
    "suggested_action",
    "due_date",
    "rule_version",
]
# whose name a lead shows, in order (a source not listed comes last)
NAME_SOURCES = ["lowincome", "hukou", "disability", "eldercare", "medical"]


def identify(con: duckdb.DuckDBPyConnection, leads: pl.DataFrame, period: str) -> pl.DataFrame:
    """Attach identity number and name from the vault (latest delivery of each source)."""
    keys = leads.select("person_key").unique()
    con.register("lead_keys", keys)
    try:
        numbers = con.sql(
            "SELECT person_key, id_number FROM vault.identities JOIN lead_keys USING (person_key)"
        ).pl()
        names = latest_names.names(con, "lead_keys", period)
    finally:
        con.unregister("lead_keys")
    rank = {s: i for i, s in enumerate(NAME_SOURCES)}
    best_name = (
        names.with_columns(
            rank=pl.col("source").replace_strict(rank, default=len(rank), return_dtype=pl.Int32)
        )
        .sort("person_key", "rank")
        .group_by("person_key", maintain_order=True)
        .agg(pl.col("name").first())
    )
    return leads.join(numbers, on="person_key", how="left").join(
        best_name, on="person_key", how="left"
    )


def leads_file_frame(identified: pl.DataFrame, config: Config) -> pl.DataFrame:
    actions = {code: config.rule(code)["action"] for code in config.rule_codes}
    return (
        identified.with_columns(
            status=pl.col("listed_status"),
            suggested_action=pl.col("rule_code").replace_strict(actions, return_dtype=pl.String),
        )
        .select(LEADS_FILE_COLUMNS)
        .sort("lead_id")
    )


def write_atomically(frame: pl.DataFrame, path: Path) -> None:
    """Write beside the target and rename: a crash never leaves a half-written file."""
    with written_atomically(path) as tmp:
        frame.write_parquet(tmp, compression="zstd", statistics=True)
