"""Run suites over frames with Great Expectations (ephemeral context, pandas batches).

GX's SQL datasource over DuckDB is broken (see shared/notes/stack.md), so the
warehouse frames are validated as pandas. Results are flattened into
`Finding`s that carry counts and file:row examples only, never values.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import great_expectations as gx
import polars as pl
from great_expectations.data_context.types.base import ProgressBarsConfig

logging.getLogger("great_expectations").setLevel(logging.ERROR)


@dataclass
class Finding:
    suite: str
    expectation: str
    what: str
    success: bool
    element_count: int | None = None
    unexpected_count: int | None = None
    observed: object = None
    examples: list[str] = field(default_factory=list)  # "file:row", never values

    def sentence(self) -> str:
        if self.unexpected_count is not None and self.element_count:
            share = self.unexpected_count / self.element_count
            counts = f"{self.unexpected_count:,} of {self.element_count:,} rows ({share:.1%})"
        else:
            counts = (
                f"observed {self.observed:,}"
                if isinstance(self.observed, int)
                else f"observed {self.observed}"
            )
        where = f"; e.g. {', '.join(self.examples)}" if self.examples else ""
        return f"{self.suite}: {self.what}: {counts}{where} [{self.expectation}]"


class Validator:
    """One ephemeral GX context for a run; `check` validates one frame against one suite."""

    def __init__(self) -> None:
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.source = self.context.data_sources.add_pandas("warehouse")
        self._count = 0

    def check(self, suite: gx.ExpectationSuite, frame: pl.DataFrame) -> list[Finding]:
        self._count += 1
        asset = self.source.add_dataframe_asset(f"frame_{self._count}")
        batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(
            batch_parameters={"dataframe": frame.to_pandas()}
        )
        index = [c for c in ("source_file", "source_row") if c in frame.columns]
        result_format = {"result_format": "SUMMARY", "partial_unexpected_count": 5}
        if index:
            result_format["unexpected_index_column_names"] = index
        result = batch.validate(suite, result_format=result_format)
        return [_finding(suite.name, r) for r in result.results]


def _finding(suite: str, r) -> Finding:
    res = r.result or {}
    examples = []
    for item in res.get("partial_unexpected_index_list") or []:
        if isinstance(item, dict) and "source_file" in item:
            row = item.get("source_row")
            examples.append(
                f"{item['source_file']}:{int(row)}"
                if row is not None and row == row
                else item["source_file"]
            )
    return Finding(
        suite=suite,
        expectation=r.expectation_config.type,
        what=(r.expectation_config.meta or {}).get("what", r.expectation_config.type),
        success=bool(r.success),
        element_count=res.get("element_count"),
        unexpected_count=res.get("unexpected_count"),
        observed=observed
        if isinstance(observed := res.get("observed_value"), int | float | str)
        else None,
        examples=examples,
    )
