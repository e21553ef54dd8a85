"""PRC working days: statutory holidays and make-up working days, for lead due dates.

`chinese-calendar` knows 2004-2026; the bureau adds later years from the State
Council's notice in config/doudi.toml ([calendar.YYYY] holidays/workdays). A
year neither knows is a clear error: guessing would give wrong due dates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import chinese_calendar

if TYPE_CHECKING:
    from doudi_core.config import Config


class UnknownCalendarYear(RuntimeError):
    """A due date falls in a year whose holiday schedule nobody has supplied."""


@dataclass(frozen=True)
class WorkCalendar:
    extra: dict[int, tuple[frozenset[dt.date], frozenset[dt.date]]] = field(default_factory=dict)

    @classmethod
    def of(cls, config: Config) -> WorkCalendar:
        """The bureau's calendar: chinese-calendar's years and the configuration's own
        (the run, its workbooks and the checks before it must count the same days)."""
        return cls.from_config(config.raw.get("calendar", {}))

    @classmethod
    def from_config(cls, table: dict) -> WorkCalendar:
        """From [calendar.YYYY] tables: {year: {"holidays": [...], "workdays": [...]}}."""
        extra = {}
        for year, spec in table.items():
            holidays = frozenset(dt.date.fromisoformat(d) for d in spec.get("holidays", []))
            workdays = frozenset(dt.date.fromisoformat(d) for d in spec.get("workdays", []))
            extra[int(year)] = (holidays, workdays)
        return cls(extra)

    def is_workday(self, day: dt.date) -> bool:
        if day.year in self.extra:
            holidays, workdays = self.extra[day.year]
            return day in workdays or (day.weekday() < 5 and day not in holidays)
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError as error:
            raise UnknownCalendarYear(
                f"no holiday schedule for {day.year}: add [calendar.{day.year}] with the State Council's "
                f"holidays and make-up workdays (国务院办公厅关于{day.year}年部分节假日安排的通知) "
                "to config/doudi.toml"
            ) from error

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The `days`-th working day after `start` (start itself not counted)."""
        current, counted = start, 0
        while counted < days:
            current += dt.timedelta(days=1)
            if self.is_workday(current):
                counted += 1
        return current
