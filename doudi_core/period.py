"""Reporting periods (`YYYY-MM`): every date a run uses derives from its period."""

from __future__ import annotations

import calendar
import datetime as dt
import re

_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class PeriodError(ValueError):
    """A period string that is not `YYYY-MM`."""


def parse_period(period: str) -> tuple[int, int]:
    match = _PERIOD.match(period)
    if not match:
        raise PeriodError(f"period must look like 2026-10, got {period!r}")
    return int(match.group(1)), int(match.group(2))


def as_of(period: str) -> dt.date:
    """The last day of the period: the date every rule evaluates at."""
    year, month = parse_period(period)
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def shift(period: str, months: int) -> str:
    year, month = parse_period(period)
    index = year * 12 + (month - 1) + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"
