"""Who each mismatched low-income record most likely is: candidates from the register, their
pairwise match weights, and one calibrated score per record.

The model weighs one pair at a time; a record has one right answer at most. The score of
the best candidate is therefore its posterior among all of the record's candidates and
"none of them": odds_j / (1 + sum of odds), odds = 2^match_weight (prior times Bayes
factor). Two look-alikes (twins, the same name and birth date in two towns) share the
probability, so neither reaches the threshold unless something tells them apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from repair import model as fs
from repair.records import Sides, prepare_records, prepare_register

# Each comparison's levels, best first, as Splink numbers them (gamma = count - 1 ... 0).
LEVELS = {
    "number": [
        "身份号码一致",
        "身份号码一位之差",
        "身份号码相邻两位颠倒",
        "出生日期月日颠倒",
        "身份号码两位之差",
        "出生日期一致",
        "出生日期一致",
        None,
    ],
    "name": [
        "姓名一致",
        "姓名繁简或异体字",
        "姓名为拼音",
        "姓名同音",
        "姓名一字之差",
        "同姓",
        None,
    ],
    "sex": ["性别一致", None],
    "place": [
        "同户成员{n}人一致",
        "同户成员1人一致",
        "同村（社区）",
        "同乡镇（街道）",
        "同县（区）",
        None,
    ],
}
NAME_SHOWN = {"姓名繁简或异体字", "姓名为拼音", "姓名同音", "姓名一字之差"}  # with both names
PAIR_SCHEMA = {
    "lead_id": pl.String,
    "person_key": pl.Int64,
    "match_weight": pl.Float64,
    **{f"gamma_{c}": pl.Int32 for c in LEVELS},
}
BLOCK_KEYS = [
    ("id17", "id17"),
    ("birth8", "birth8"),
    ("birth8_swapped", "birth8"),
    ("name_sound", "name_sound"),
    ("household_no", "household_no"),
]


def as_model_input(frame: pl.DataFrame, *, records: bool) -> pl.DataFrame:
    """The columns `repair.model.COLUMNS` names, for either side."""
    if records:
        return frame.with_columns(
            unique_id=pl.col("lead_id"),
            sex=pl.col("digit_sex"),
            id_valid=pl.col("number_valid").fill_null(False),
        )
    return frame.with_columns(
        unique_id=pl.col("person_key").cast(pl.String),
        id_valid=pl.lit(True),
        other_households=pl.lit([], dtype=pl.List(pl.String)),
    )


def best_candidates(pairs: pl.DataFrame, records: pl.DataFrame) -> pl.DataFrame:
    """Per record, the best admissible candidate and its posterior score."""
    own_rows = records.select("lead_id", "other_members").explode("other_members")
    pairs = pairs.join(
        own_rows.rename({"other_members": "person_key"}).with_columns(taken=pl.lit(True)),
        on=["lead_id", "person_key"],
        how="left",
    ).filter(pl.col("taken").is_null())  # another row of the same household already is them
    odds = pl.lit(2.0).pow(pl.col("match_weight"))
    return (
        pairs.with_columns(odds=odds)
        # rounded: DuckDB's parallel sums may differ in the last bits from run to run
        .with_columns(score=(pl.col("odds") / (1 + pl.col("odds").sum().over("lead_id"))).round(6))
        .sort(["lead_id", "score", "person_key"], descending=[False, True, False])
        .group_by("lead_id", maintain_order=True)
        .first()
        .drop("odds", "taken")
    )


def _reason_parts(row: dict, record_name: str | None, suggested_name: str | None) -> str:
    """The levels the pair agreed at, in Chinese, best first per comparison."""
    parts = []
    for comparison, labels in LEVELS.items():
        gamma = row[f"gamma_{comparison}"]
        if gamma is None or gamma < 0:
            continue
        label = labels[len(labels) - 1 - gamma]
        if label is None:
            continue
        if comparison == "place":
            label = label.format(n=row["shared_members"])
        if label in NAME_SHOWN:
            label = f"{label}（{record_name}/{suggested_name}）"
        if label == "身份号码一致" and row["id_number"] != row["suggested_id_number"]:
            label = "身份号码前17位一致（校验位有误）"
        parts.append(label)
    return "；".join(parts)


def reasons(best: pl.DataFrame) -> pl.Series:
    return pl.Series(
        "reasons",
        [
            _reason_parts(row, row["name"], row["suggested_name"])
            for row in best.iter_rows(named=True)
        ],
        dtype=pl.String,
    )


@dataclass(frozen=True)
class ModelInputs:
    records: pl.DataFrame  # the mismatched records, with the forms compared
    candidates: pl.DataFrame  # the register people any blocking rule reaches
    left: pl.DataFrame  # both as Splink's two tables
    right: pl.DataFrame


def model_inputs(sides: Sides, only: pl.Series | None = None) -> ModelInputs:
    """The records (or the leads of `only`) and their candidates, ready for the model."""
    records = prepare_records(sides)
    if only is not None:
        records = records.filter(pl.col("lead_id").is_in(only.implode()))
    probe = records.select(
        "id17", "birth8", "birth8_swapped", "name_sound", "county_code", "household_no"
    )
    candidates = prepare_register(sides.register.rows(sides.register.candidate_keys(probe)))
    return ModelInputs(
        records,
        candidates,
        as_model_input(records, records=True),
        as_model_input(candidates, records=False),
    )


def fit(sides: Sides, inputs: ModelInputs, repair: dict) -> dict:
    """The model, estimated on every record's candidates and a random part of the register."""
    prior = repair["prior_has_match"] / max(sides.register.living_count(), 1)
    sample = prepare_register(sides.register.sample(repair["sample_rows"], repair["seed"]))
    return fs.fit(
        inputs.left, as_model_input(sample, records=False), inputs.right, prior, repair["seed"]
    )


def suggest(
    sides: Sides, model: dict | None, repair: dict, only: pl.Series | None = None
) -> tuple[pl.DataFrame, dict]:
    """One row per mismatched record (or per lead of `only`): its best candidate, even below
    the threshold, and the score. Fits the model first when none is given (returned for
    storing; fitting sees every record)."""
    inputs = model_inputs(sides, only)
    model = model or fit(sides, inputs, repair)
    records, candidates, left, right = inputs.records, inputs.candidates, inputs.left, inputs.right
    pairs = fs.score_pairs(left, right, model) if records.height and right.height else None
    base = records.select("lead_id", "household_id", "id_number", "name", "other_households")
    if pairs is None:
        pairs = pl.DataFrame(schema=PAIR_SCHEMA)
    best = best_candidates(pairs, records)
    out = base.join(best, on="lead_id", how="left").join(
        candidates.select(
            "person_key",
            pl.col("id_number").alias("suggested_id_number"),
            pl.col("name").alias("suggested_name"),
            pl.col("household_no").alias("candidate_household"),
        ),
        on="person_key",
        how="left",
    )
    shared = (
        out.select("lead_id", "other_households", "candidate_household")
        .explode("other_households")
        .group_by("lead_id")
        .agg(shared_members=(pl.col("other_households") == pl.col("candidate_household")).sum())
    )
    out = out.join(shared, on="lead_id", how="left")
    return out.with_columns(reasons=reasons(out)).select(
        "lead_id",
        "household_id",
        "id_number",
        "name",
        pl.col("person_key").alias("suggested_person_key"),
        "suggested_id_number",
        "suggested_name",
        "score",
        pl.when(pl.col("person_key").is_not_null()).then("reasons").alias("reasons"),
    ), model
