"""A period's cross-match, start to end: the rules over the period's inputs, then lead
identity and lifecycle, then the leads file's rows. Dagster's `lead_states` asset and the
benchmark run exactly this."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass

import duckdb
import polars as pl

from crossmatch import lifecycle, publish, store
from crossmatch.inputs import load_inputs, window_days
from crossmatch.rules import Evaluation, evaluate_period
from crossmatch.workdays import WorkCalendar
from doudi_core.config import Config
from doudi_core.period import as_of

Connect = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]


@dataclass
class CrossMatch:
    states: pl.DataFrame  # the period's lead history rows (leads.lead_states)
    listed: pl.DataFrame  # the leads the period lists (新增 / 持续)
    leads_file: pl.DataFrame  # the leads file's rows (identity numbers and names)
    seconds: dict[str, float]  # per rule
    skipped: dict[str, str]  # rules the period could not run, and why
    elder_coverage_people: int  # rows saved for the elder_care_coverage mart
    deaths: int  # deaths known at as_of, saved for the deaths_reported mart


def period_hits(
    connect: Connect,
    period: str,
    config: Config,
    rules: list[str] | None = None,
    reuse: bool = True,
    keep: bool = True,
) -> Evaluation:
    """The rules' hits for the period. The connection is closed before the rules run:
    DuckDB's buffers go with it. The medical window is advanced from the previous period's
    totals when `reuse`, and its totals kept for the next period when `keep`."""
    with connect() as con:
        inputs = load_inputs(con, period, window_days(config), reuse, keep)
    return evaluate_period(inputs, config, rules=rules)


def cross_match(connect: Connect, period: str, config: Config, reuse: bool = True) -> CrossMatch:
    """Hits, then the period's lead states saved, then the leads file's rows (not written:
    where it goes is the caller's). Raises UnknownCalendarYear when a due date falls in a
    year no holiday schedule covers."""
    calendar = WorkCalendar.of(config)
    evaluation = period_hits(connect, period, config, reuse=reuse)
    with connect() as con:
        states = lifecycle.advance(
            store.previous_states(con, period),
            evaluation.hits,
            store.closures(con, period),
            period,
            as_of(period),
            config,
            calendar,
            carried=frozenset(evaluation.skipped),
        )
        store.save_states(con, period, states, evaluation.elder_coverage, evaluation.death_facts)
        listed = lifecycle.listed(states)
        leads_file = publish.leads_file_frame(publish.identify(con, listed, period), config)
    return CrossMatch(
        states,
        listed,
        leads_file,
        evaluation.seconds,
        evaluation.skipped,
        evaluation.elder_coverage.height,
        evaluation.death_facts.height,
    )
