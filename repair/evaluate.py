"""How identity repair does on a generated city's labelled records (synth.plant_repair):
precision at the threshold, recall, wrong suggestions where there is no right answer, per
error kind, and the same for a naive baseline. An evaluation tool, not the pipeline."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from ingest.values import normalise_name
from repair.records import prepare_records, read_sides

NO_ANSWER = ("no_answer", "no_answer_lookalike")


def labelled(suggestions: pl.DataFrame, truth: pl.DataFrame, threshold: float) -> pl.DataFrame:
    """Each planted record with what was suggested for it (at or above `threshold`), matched
    on the household, number and name as on the lead (a record without a number has only its
    household and name)."""
    keys = ["household_id", "lead_id_number", "delivered_name"]
    on_lead = suggestions.select(
        "household_id",
        pl.col("id_number").fill_null("").alias("lead_id_number"),
        pl.col("name").alias("delivered_name"),
        "suggested_id_number",
        "score",
    )
    made = on_lead.filter(pl.col("score") >= threshold).unique(keys)
    rows = (
        truth.with_columns(pl.col("lead_id_number").fill_null(""))
        .join(on_lead.select(keys).unique().with_columns(listed=pl.lit(True)), on=keys, how="left")
        .join(made, on=keys, how="left")
    )
    return rows.with_columns(
        listed=pl.col("listed").fill_null(False),
        answerable=pl.col("true_id_number").is_not_null(),
        made=pl.col("suggested_id_number").is_not_null(),
        right=pl.col("suggested_id_number") == pl.col("true_id_number"),
    ).with_columns(pl.col("right").fill_null(False))


def table(rows: pl.DataFrame) -> pl.DataFrame:
    """Per kind and in total: records, suggestions, right, wrong, precision, recall."""

    def figures(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.agg(
            records=pl.len(),
            leads=pl.col("listed").sum(),
            suggestions=pl.col("made").sum(),
            right=pl.col("right").sum(),
            wrong=(pl.col("made") & ~pl.col("right")).sum(),
            answerable=pl.col("answerable").sum(),
        )

    per_kind = figures(rows.group_by("kind")).sort("kind")
    total = figures(rows.filter(pl.col("kind") != "control").group_by(pl.lit("all").alias("kind")))
    return pl.concat([per_kind, total]).with_columns(
        precision=pl.when(pl.col("suggestions") > 0).then(pl.col("right") / pl.col("suggestions")),
        recall=pl.when(pl.col("answerable") > 0).then(pl.col("right") / pl.col("answerable")),
    )


def headline(rows: pl.DataFrame) -> dict[str, float | int]:
    errors = rows.filter(pl.col("kind") != "control")
    made = errors.filter(pl.col("made"))
    answerable = errors.filter(pl.col("answerable"))
    no_answer = errors.filter(~pl.col("answerable"))
    return {
        "planted_errors": errors.height,
        "suggestions": made.height,
        "right": int(made["right"].sum()),
        "precision": made["right"].mean() if made.height else None,
        "recall": answerable["right"].mean() if answerable.height else None,
        "no_answer_records": no_answer.height,
        "no_answer_suggested": int(no_answer["made"].sum()),
        "controls_listed": int(rows.filter(pl.col("kind") == "control")["listed"].sum()),
    }


def summary_line(repairs_file: Path, truth_file: Path, threshold: float = 0.0) -> str:
    """For the run's summary: the file already holds only the suggestions at the threshold."""
    truth = pl.read_csv(truth_file, infer_schema=False)
    if "household_id" not in truth.columns:
        return f"not scored: {truth_file} was written by an older generator (generate again)"
    got = pl.read_parquet(repairs_file).filter(pl.col("score").is_not_null())
    h = headline(labelled(got, truth, threshold))
    precision = "n/a" if h["precision"] is None else f"{h['precision']:.3f}"
    recall = "n/a" if h["recall"] is None else f"{h['recall']:.3f}"
    return (
        f"against the planted truth: precision {precision} ({h['right']}/{h['suggestions']} "
        f"right), recall {recall}, {h['no_answer_suggested']} suggestions for "
        f"{h['no_answer_records']} records with no right answer"
    )


def baseline(con: duckdb.DuckDBPyConnection, period: str) -> pl.DataFrame:
    """The naive way: the one living register person with the record's exact name and the
    birth date its number's digits give; else, among people of the exact name, the one whose
    number is nearest (at most two edits, no tie). Score 1 for every suggestion."""
    sides = read_sides(con, period)
    records = prepare_records(sides).select(
        "lead_id", "household_id", "id_number", "name", "name_clean", "id17", "birth8"
    )
    register = (
        sides.register.living_names()
        .with_columns(
            name_clean=normalise_name(pl.col("name")),
            id17=pl.col("id_number").str.slice(0, 17),
        )
        .with_columns(birth8=pl.col("id17").str.slice(6, 8))
        .select("name_clean", "id17", "birth8", pl.col("id_number").alias("suggested_id_number"))
    )
    exact = records.join(register.drop("id17"), on=["name_clean", "birth8"]).filter(
        pl.len().over("lead_id") == 1
    )
    near = (
        records.join(exact.select("lead_id"), on="lead_id", how="anti")
        .join(register.drop("birth8"), on="name_clean", suffix="_r")
        .filter(pl.col("id17").is_not_null())
    )
    near_frame = (
        con.sql("SELECT *, damerau_levenshtein(id17, id17_r) AS d FROM near").pl()
        if near.height
        else near.with_columns(d=pl.lit(0))
    )
    nearest = near_frame.filter(pl.col("d") <= 2).filter(
        pl.col("d") == pl.col("d").min().over("lead_id")
    )
    near_best = nearest.filter(pl.len().over("lead_id") == 1)  # no tie
    chosen = pl.concat(
        [
            exact.select("lead_id", "suggested_id_number"),
            near_best.select("lead_id", "suggested_id_number"),
        ]
    )
    return (
        records.select("lead_id", "household_id", "id_number", "name")
        .join(chosen, on="lead_id", how="left")
        .with_columns(score=pl.when(pl.col("suggested_id_number").is_not_null()).then(pl.lit(1.0)))
    )
