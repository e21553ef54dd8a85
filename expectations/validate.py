"""Run suites with Great Expectations (one ephemeral context per process).

A delivery's rows are validated where they lie: GX's SQL engine runs each
expectation as a query against the DuckDB warehouse, so a city's 12 million
settlements are never copied into pandas. Small derived frames (totals,
volumes, the schema) are validated as pandas. Results are flattened into
`Finding`s that carry counts and file:row examples only, never values.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import great_expectations as gx
import great_expectations.execution_engine.sqlalchemy_execution_engine as gx_sql_engine
import polars as pl
from great_expectations.data_context.types.base import ProgressBarsConfig

logging.getLogger("great_expectations").setLevel(logging.ERROR)


class _DuckDBDialect(str):
    """Stands in for a `GXSqlDialect` member (GX has none for DuckDB): a string with `.value`."""

    @property
    def value(self) -> str:
        return str(self)


def _persist_duckdb_connections() -> None:
    """Give DuckDB the persisted connection GX gives SQLite.

    Otherwise GX returns each connection to its pool (which rolls it back)
    before it fetches the rows, and DuckDB has invalidated them by then: every
    expectation fails with a MetricResolutionError (shared/notes/stack.md).
    This touches GX internals; great-expectations is pinned exactly and the
    gate tests fail if the patch stops working.
    """
    dialects = gx_sql_engine._PERSISTED_CONNECTION_DIALECTS
    if "duckdb" not in dialects:
        gx_sql_engine._PERSISTED_CONNECTION_DIALECTS = (*dialects, _DuckDBDialect("duckdb"))


def _release(source) -> None:
    """Close every DuckDB connection GX opened: the persisted one, then both engines' pools
    (the datasource's and its execution engine's); a live one would keep the file busy."""
    engine = source.get_execution_engine()
    if engine._connection is not None:
        engine._connection.close()
        engine._connection = None
    engine.close()
    source.get_engine().dispose()


class CheckNotEvaluated(RuntimeError):
    """An expectation GX could not evaluate (an engine error, not a data failure)."""


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
    """One ephemeral GX context for a process; `check` validates a frame, `check_query` a query."""

    def __init__(self, duckdb_config: dict | None = None) -> None:
        _persist_duckdb_connections()
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        self.source = self.context.data_sources.add_pandas("frames")
        self.duckdb_config = duckdb_config or {}
        self._count = 0

    def check(self, suite: gx.ExpectationSuite, frame: pl.DataFrame) -> list[Finding]:
        self._count += 1
        asset = self.source.add_dataframe_asset(f"frame_{self._count}")
        batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(
            batch_parameters={"dataframe": frame.to_pandas()}
        )
        return self._validate(suite, batch, frame.columns)

    def check_query(
        self, suite: gx.ExpectationSuite, warehouse: Path, query: str, columns: list[str]
    ) -> list[Finding]:
        """Validate the rows of `query` inside the DuckDB file `warehouse`.

        The caller must hold no other connection to the file (DuckDB refuses a
        second one with a different configuration); the engine is closed after.
        """
        self._count += 1
        name = f"warehouse_{self._count}"
        source = self.context.data_sources.add_sql(
            name,
            connection_string=f"duckdb:///{warehouse}",
            kwargs={"connect_args": {"config": self.duckdb_config}},
        )
        try:
            batch = (
                source.add_query_asset("rows", query=query)
                .add_batch_definition_whole_table("whole")
                .get_batch()
            )
            return self._validate(suite, batch, columns)
        finally:
            _release(source)
            self.context.data_sources.delete(name)

    def _validate(self, suite: gx.ExpectationSuite, batch, columns: list[str]) -> list[Finding]:
        index = [c for c in ("source_file", "source_row") if c in columns]
        result_format = {"result_format": "SUMMARY", "partial_unexpected_count": 5}
        if index:
            result_format["unexpected_index_column_names"] = index
        result = batch.validate(suite, result_format=result_format)
        for r in result.results:
            if error := _raised(r.exception_info):
                raise CheckNotEvaluated(
                    f"{suite.name}: GX could not evaluate {r.expectation_config.type} "
                    f"on {r.expectation_config.kwargs.get('column', 'the table')}: {error}"
                )
        return [_finding(suite.name, r) for r in result.results]


def _raised(info: dict | None) -> str | None:
    """The message of an exception GX caught while evaluating an expectation, if any.

    GX reports either one flat record or one per metric, and counts such an
    expectation as merely failed: a check that could not run must stop the run.
    """
    records = [info] if info and "raised_exception" in info else list((info or {}).values())
    for record in records:
        if isinstance(record, dict) and (
            record.get("raised_exception") or record.get("exception_traceback")
        ):
            # the message's first line names the error (SQLAlchemy appends SQL and a link);
            # a bare traceback names it on its last line
            if message := (record.get("exception_message") or "").strip():
                return message.splitlines()[0][:300]
            trace = (record.get("exception_traceback") or "").strip()
            return trace.splitlines()[-1][:300] if trace else "unknown error"
    return None


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
