"""What `doudi run` checks before it writes anything: the pseudonym key, the inbox, the
holiday calendar its leads' due dates need, and that a published period is not overwritten
by a run with fewer deliveries.

Imports neither Dagster nor dbt: a refusal comes at once, before the runner loads.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import duckdb

from crossmatch.lifecycle import due_dates
from crossmatch.workdays import UnknownCalendarYear, WorkCalendar
from doudi_core.config import load_config
from doudi_core.period import as_of
from doudi_core.pseudonym import PseudonymKeyError, load_key
from ingest.arrivals import delivered_sources
from sources import SOURCES
from workbooks.publications import published_sources

BAD_ARGUMENTS = 2  # the exit status of a refusal before anything ran
IN_USE = 3  # another run, or what a stopped run left running, holds the outputs
NOT_REPLACED = 4  # a published period that this inbox would republish from fewer deliveries


class Refused(Exception):
    """The run cannot start; `problems` are the lines to print, `status` the exit status."""

    def __init__(self, problems: list[str], status: int = BAD_ARGUMENTS):
        super().__init__("; ".join(problems))
        self.problems = problems
        self.status = status


def check_inputs(inbox: Path, periods: list[str]) -> None:
    """The pseudonym key, the inbox and the holiday calendar, every problem at once: an
    operator fixes them in one go, not one a run."""
    problems = key_problems() + inbox_problems(inbox, periods) + calendar_problems(periods)
    if problems:
        raise Refused(problems)


def key_problems() -> list[str]:
    try:
        load_key(require_explicit=load_config().raw["pseudonym"]["require_explicit_key"])
    except PseudonymKeyError as error:
        return [str(error)]
    return []


def inbox_problems(inbox: Path, periods: list[str]) -> list[str]:
    """Every period's folder exists and delivers at least one source (feedback alone is none)."""
    if not inbox.is_dir():
        return [
            f"the inbox {inbox} does not exist or is not a folder: check --inbox (or DOUDI_INBOX)"
        ]
    problems = []
    for period in periods:
        folder = inbox / period
        if not folder.is_dir():
            problems.append(
                f"{period}: no folder {folder} in the inbox: check --inbox and --period"
            )
        elif not delivered_sources(inbox, period):
            problems.append(
                f"{period}: {folder} delivers no source (no files in any of "
                f"{', '.join(SOURCES)}; feedback alone is no delivery)"
            )
    return problems


def calendar_problems(periods: list[str]) -> list[str]:
    """The periods whose due dates fall in a year without a holiday schedule, each with
    what to add. A December's fall in the next January: without that year's schedule a run
    would stop at the leads, after the whole ingest."""
    config = load_config()
    calendar = WorkCalendar.of(config)
    problems = []
    for period in periods:
        try:
            due_dates(as_of(period), config, calendar)
        except UnknownCalendarYear as error:
            problems.append(f"{period}: leads' due dates: {error}")
    return problems


def wait_for_warehouse(warehouse: Path, patience_s: float = 300) -> None:
    """Wait while another process holds the warehouse: a dbt build started by a run that was
    stopped goes on to its end (seconds) holding the file; refuse after `patience_s`."""
    if not warehouse.exists():
        return
    deadline = time.monotonic() + patience_s
    said = False
    while True:
        try:
            duckdb.connect(str(warehouse), read_only=True).close()
            return
        except duckdb.IOException as error:
            if "lock" not in str(error).lower():
                raise
            holder = re.search(r"\(PID (\d+)\)", str(error))
            who = f"process {holder.group(1)}" if holder else "another process"
            if time.monotonic() > deadline:
                raise Refused(
                    [f"the warehouse {warehouse} is still held by {who}: stop it, then run again"],
                    IN_USE,
                ) from error
            if not said:
                print(
                    f"doudi run: the warehouse is held by {who} (a dbt build of a stopped run?); "
                    f"waiting up to {patience_s:.0f} s for it to finish",
                    file=sys.stderr,
                )
                said = True
            time.sleep(0.5)


def check_published(warehouse: Path, inbox: Path, periods: list[str], replace: bool) -> None:
    """Refuse to republish a period from fewer deliveries than its published run had."""
    if replace or not warehouse.exists():
        return
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        published = {period: published_sources(con, period) for period in periods}
    finally:
        con.close()
    problems = []
    for period, sources in published.items():
        missing = [s for s in sources or [] if s not in delivered_sources(inbox, period)]
        if missing:
            problems.append(
                f"{period} was published from {', '.join(sources)}; {inbox / period} has no "
                f"files for {', '.join(missing)}. Nothing was changed. To publish {period} again "
                "without them (their earlier deliveries stand in), run with --replace"
            )
    if problems:
        raise Refused(problems, NOT_REPLACED)
