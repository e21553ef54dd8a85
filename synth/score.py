"""Score a leads file against the generator's planted truth (an evaluation tool, not the pipeline)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl


@dataclass
class Score:
    per_rule: pl.DataFrame  # rule_code, must, raised, missed, must_not, forbidden
    missed: pl.DataFrame  # rule_code, id_number, template
    forbidden: pl.DataFrame

    @property
    def perfect(self) -> bool:
        return self.missed.height == 0 and self.forbidden.height == 0


def score(leads: pl.DataFrame, truth_file: Path) -> Score:
    truth = pl.read_csv(truth_file, infer_schema=False)
    raised = leads.select("rule_code", "id_number").unique().with_columns(raised=pl.lit(True))
    joined = truth.join(raised, on=["rule_code", "id_number"], how="left").with_columns(
        pl.col("raised").fill_null(False)
    )
    missed = joined.filter((pl.col("expect") == "must") & ~pl.col("raised"))
    forbidden = joined.filter((pl.col("expect") == "must_not") & pl.col("raised"))
    per_rule = (
        joined.group_by("rule_code")
        .agg(
            must=(pl.col("expect") == "must").sum(),
            raised=((pl.col("expect") == "must") & pl.col("raised")).sum(),
            must_not=(pl.col("expect") == "must_not").sum(),
            forbidden=((pl.col("expect") == "must_not") & pl.col("raised")).sum(),
        )
        .sort("rule_code")
    )
    return Score(
        per_rule,
        missed.select("rule_code", "id_number", "template"),
        forbidden.select("rule_code", "id_number", "template"),
    )
