"""The repair step of a run: fit the model once (or load it), score the period's new or
changed mismatches, reuse the suggestions of continuing ones, store them in the vault and
write OUT/repairs/<period>.parquet."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from doudi_core.files import written_atomically
from doudi_core.warehouse import query_or_empty, replace_rows
from repair.records import Sides, read_sides
from repair.suggest import fit, model_inputs, suggest

MODELS = "vault.repair_models"
SUGGESTIONS = "vault.repair_suggestions"
FILE_COLUMNS = [
    "lead_id",
    "household_id",
    "id_number",
    "name",
    "suggested_id_number",
    "suggested_name",
    "score",
    "reasons",
]
SUGGESTION_SCHEMA = {
    "lead_id": pl.String,
    "household_id": pl.String,
    "id_number": pl.String,
    "name": pl.String,
    "suggested_person_key": pl.Int64,
    "suggested_id_number": pl.String,
    "suggested_name": pl.String,
    "score": pl.Float64,
    "reasons": pl.String,
}


@dataclass(frozen=True)
class RepairResult:
    mismatches: int
    suggestions: int  # at or above the threshold
    by_kind: dict[str, int]  # 更正姓名 / 更正身份号码 / 更正身份号码和姓名
    scored: int  # new or changed this period
    reused: int
    model_version: str
    fitted: bool
    seconds: float
    path: Path


def latest_model(con: duckdb.DuckDBPyConnection) -> tuple[str, dict] | None:
    found = query_or_empty(
        con,
        MODELS,
        f"SELECT version, model_json FROM {MODELS} ORDER BY version DESC LIMIT 1",
        [],
        {"version": pl.String, "model_json": pl.String},
    )
    if found.is_empty():
        return None
    return found["version"][0], json.loads(found["model_json"][0])


def store_model(con: duckdb.DuckDBPyConnection, period: str, model: dict) -> str:
    """A new version, never overwriting an earlier one (leads scored with it stay explained)."""
    count = query_or_empty(con, MODELS, f"SELECT count(*) AS n FROM {MODELS}", [], {"n": pl.Int64})
    number = int(count["n"][0]) + 1 if count.height else 1
    version = f"repair-{number:03d}-{period}"
    row = pl.DataFrame(
        {"version": [version], "fitted_period": [period], "model_json": [json.dumps(model)]}
    )
    replace_rows(con, MODELS, row, {"version": version})
    return version


def fit_model(con: duckdb.DuckDBPyConnection, period: str, settings: dict) -> str:
    """Estimate the model on the period's data and store it as a new version (`doudi
    repair-fit`, and a run that finds no model)."""
    sides = read_sides(con, period)
    return store_model(con, period, fit(sides, model_inputs(sides), settings))


def fingerprints(sides: Sides) -> pl.DataFrame:
    """Per lead, a hash of what its suggestion depends on, on the record's side: the record
    as delivered and who else is in its household (evidence)."""
    members = (
        sides.household_members.sort("person_key")
        .group_by("household_id")
        .agg(pl.col("person_key").cast(pl.String).str.join(",").alias("members"))
    )
    return sides.records.join(members, on="household_id", how="left").select(
        "lead_id",
        pl.concat_str(
            [
                pl.col("person_key").cast(pl.String),
                *[pl.col(c) for c in ("id_number", "name", "household_id", "town_code")],
                pl.col("village"),
                pl.col("members"),
            ],
            separator="\x1f",
            ignore_nulls=True,
        )
        .hash(seed=27)
        .alias("fingerprint"),
    )


def _previous(con: duckdb.DuckDBPyConnection, period: str) -> pl.DataFrame:
    return query_or_empty(
        con,
        SUGGESTIONS,
        f"""
        SELECT * EXCLUDE (period) FROM {SUGGESTIONS}
        WHERE period = (SELECT max(period) FROM {SUGGESTIONS} WHERE period < ?)
        """,
        [period],
        {**SUGGESTION_SCHEMA, "fingerprint": pl.UInt64, "model_version": pl.String},
    )


def reusable(sides: Sides, previous: pl.DataFrame, version: str) -> pl.DataFrame:
    """Last period's suggestions for records unchanged since, scored with the same model,
    whose suggested person is still a living candidate; the household's membership must
    also be the same (it is evidence)."""
    records = fingerprints(sides)
    kept = previous.filter(pl.col("model_version") == version).join(
        records.select("lead_id", "fingerprint"), on=["lead_id", "fingerprint"], how="semi"
    )
    living = sides.register.living_keys(kept["suggested_person_key"].drop_nulls())
    still = pl.concat(
        [
            kept.filter(pl.col("suggested_person_key").is_null()),
            kept.filter(pl.col("suggested_person_key").is_in(living.implode())),
        ]
    )
    taken = sides.household_members.rename({"person_key": "suggested_person_key"}).join(
        sides.records.select("household_id", pl.col("person_key").alias("own")),
        on="household_id",
    )
    still = still.join(
        taken.filter(pl.col("suggested_person_key") != pl.col("own")).select(
            "household_id", "suggested_person_key"
        ),
        on=["household_id", "suggested_person_key"],
        how="anti",
    )
    return still


def repair_period(
    con: duckdb.DuckDBPyConnection, period: str, settings: dict, out: Path
) -> RepairResult:
    started = time.perf_counter()
    sides = read_sides(con, period)
    loaded = latest_model(con)
    fitted = loaded is None
    if loaded is None:
        result, model = suggest(sides, None, settings)
        version = store_model(con, period, model)
        reused = pl.DataFrame(schema=SUGGESTION_SCHEMA)
    else:
        version, model = loaded
        reused = reusable(sides, _previous(con, period), version).select(list(SUGGESTION_SCHEMA))
        todo = sides.records.join(reused.select("lead_id"), on="lead_id", how="anti")
        result, _ = suggest(sides, model, settings, only=todo["lead_id"])
    rows = pl.concat([result.select(list(SUGGESTION_SCHEMA)), reused]).sort("lead_id")
    rows = rows.join(fingerprints(sides), on="lead_id").with_columns(
        period=pl.lit(period), model_version=pl.lit(version)
    )
    replace_rows(con, SUGGESTIONS, rows, {"period": period})
    shown = file_frame(rows, settings["threshold"])
    path = out / "repairs" / f"{period}.parquet"
    with written_atomically(path) as tmp:
        shown.write_parquet(tmp)
    made = shown.filter(pl.col("suggested_id_number").is_not_null())
    return RepairResult(
        mismatches=rows.height,
        suggestions=made.height,
        by_kind=dict(made.group_by(correction()).len().sort("correction").rows()),
        scored=result.height,
        reused=reused.height,
        model_version=version,
        fitted=fitted,
        seconds=time.perf_counter() - started,
        path=path,
    )


def correction() -> pl.Expr:
    """What the suggestion asks the caseworker to correct."""
    same_number = pl.col("suggested_id_number") == pl.col("id_number")
    same_name = pl.col("suggested_name") == pl.col("name")
    return (
        pl.when(same_number)
        .then(pl.lit("更正姓名"))
        .when(same_name)
        .then(pl.lit("更正身份号码"))
        .otherwise(pl.lit("更正身份号码和姓名"))
        .alias("correction")
    )


def file_frame(rows: pl.DataFrame, threshold: float) -> pl.DataFrame:
    """outputs.md: one row per lead; the suggestion columns null below the threshold."""
    made = pl.col("score").is_not_null() & (pl.col("score") >= threshold)
    return rows.with_columns(
        *[
            pl.when(made).then(c).alias(c)
            for c in ("suggested_id_number", "suggested_name", "score", "reasons")
        ]
    ).select(FILE_COLUMNS)
