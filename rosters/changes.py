"""变动 against the department's previous roster (outputs.md): 新增, 不变, and the people who
left it listed once as 减少, repeating their row from the previous roster. Identity numbers
are compared; a person with several rows (the disability roster: one per certificate) is
listed or left as a whole."""

from __future__ import annotations

import polars as pl

ID, CHANGE = "公民身份号码", "变动"
NEW, SAME, LEFT = "新增", "不变", "减少"


def with_changes(current: pl.DataFrame, previous: pl.DataFrame | None) -> pl.DataFrame:
    """`current` (the roster's columns but 变动, strings) with 变动, then the 减少 rows.

    `previous` is the previous roster as published (its 变动 included), or None for a
    department's first roster: everyone is then 新增."""
    if previous is None:
        return current.with_columns(pl.lit(NEW).alias(CHANGE))
    listed = previous.filter(pl.col(CHANGE) != LEFT)
    before = listed[ID].unique().implode()
    marked = current.with_columns(
        pl.when(pl.col(ID).is_in(before)).then(pl.lit(SAME)).otherwise(pl.lit(NEW)).alias(CHANGE)
    )
    gone = listed.filter(~pl.col(ID).is_in(current[ID].unique().implode())).with_columns(
        pl.lit(LEFT).alias(CHANGE)
    )
    return pl.concat([marked, gone], how="diagonal_relaxed").select(marked.columns)
