"""Lead identity and lifecycle (rules.md), and working-day due dates."""

import datetime as dt
import json

import chinese_calendar
import polars as pl
import pytest

from crossmatch import lifecycle
from crossmatch.context import LEAD_COLUMNS
from crossmatch.workdays import UnknownCalendarYear, WorkCalendar
from doudi_core.config import load_config
from doudi_core.period import as_of

CONFIG = load_config()
CALENDAR = WorkCalendar()
NO_CLOSURES = pl.DataFrame(schema={"lead_id": pl.String, "result": pl.String})


def _hits(*rows) -> pl.DataFrame:
    base = {
        "priority": "中",
        "evidence": "e",
        "oop_fen": None,
        "household_id": None,
        "town_code": "321302001",
        "county_code": "321302",
    }
    frame = pl.DataFrame(
        [{**base, **r} for r in rows], schema={**LEAD_COLUMNS, "county_code": pl.String}
    )
    return frame


def _step(previous, hits, period, closures=NO_CLOSURES):
    return lifecycle.advance(previous, hits, closures, period, as_of(period), CONFIG, CALENDAR)


EMPTY = pl.DataFrame(schema=lifecycle.STATE_SCHEMA)
A = {"rule_code": "DIS_SEVERE_UNCOVERED", "person_key": 7}


def _listed(states):
    return lifecycle.listed(states).select("lead_id", "listed_status").rows()


def test_new_then_continuing_keeps_the_id_and_the_due_date():
    first = _step(EMPTY, _hits(A), "2026-09")
    second = _step(first, _hits({**A, "priority": "高"}), "2026-10")
    ((lead, status1),) = _listed(first)
    assert status1 == "新增" and _listed(second) == [(lead, "持续")]
    # 15 working days after 09-30: National Day off 10-01..07, Saturday 10-10 a make-up working day
    assert second["due_date"][0] == first["due_date"][0] == dt.date(2026, 10, 27)
    assert second["priority"][0] == "高"  # re-evaluated


def test_the_id_is_stable_and_derives_from_the_situation():
    lead = _step(EMPTY, _hits(A), "2026-09")["lead_id"][0]
    assert lead.startswith("DSU-2609-")
    assert lead == lifecycle.lead_id("DIS_SEVERE_UNCOVERED", 7, 1, "2026-09")
    assert lead != lifecycle.lead_id("DIS_SEVERE_UNCOVERED", 8, 1, "2026-09")


def test_high_priority_is_due_in_five_working_days():
    states = _step(EMPTY, _hits({**A, "priority": "高"}), "2026-09")
    assert (
        states["due_date"][0]
        == CALENDAR.add_working_days(dt.date(2026, 9, 30), 5)
        == dt.date(2026, 10, 13)
    )


def test_a_condition_that_disappears_closes_and_a_return_is_a_new_lead():
    first = _step(EMPTY, _hits(A), "2026-08")
    gone = _step(first, _hits(), "2026-09")
    assert _listed(gone) == [] and gone["closed_result"][0] == "条件消失"
    back = _step(gone, _hits(A), "2026-10")
    ((lead, status),) = _listed(back)
    assert status == "新增" and lead != first["lead_id"][0] and back["episode"][0] == 2


def test_a_verified_lead_is_not_raised_again_until_the_person_leaves_and_returns():
    first = _step(EMPTY, _hits(A), "2026-07")
    lead = first["lead_id"][0]
    closed = _step(
        first, _hits(A), "2026-08", pl.DataFrame({"lead_id": [lead], "result": ["不属实"]})
    )
    assert _listed(closed) == [] and closed["state"][0] == lifecycle.VERIFIED
    still = _step(closed, _hits(A), "2026-09")
    assert _listed(still) == []
    left = _step(still, _hits(), "2026-10")
    back = _step(left, _hits(A), "2026-11")
    assert [s for _, s in _listed(back)] == ["新增"] and back["lead_id"][0] != lead


def test_a_verified_medical_lead_returns_only_after_a_material_increase():
    m = {"rule_code": "MED_OOP_UNCOVERED", "person_key": 9}
    first = _step(EMPTY, _hits({**m, "oop_fen": 2_500_000}), "2026-07")
    closed = _step(
        first,
        _hits({**m, "oop_fen": 2_600_000}),
        "2026-08",
        pl.DataFrame({"lead_id": first["lead_id"].to_list(), "result": ["已享受相关待遇"]}),
    )
    small_rise = _step(closed, _hits({**m, "oop_fen": 4_400_000}), "2026-09")
    assert _listed(small_rise) == []  # +19,000 over the 25,000 last listed: not material
    big_rise = _step(small_rise, _hits({**m, "oop_fen": 4_500_000}), "2026-10")
    assert [s for _, s in _listed(big_rise)] == ["新增"]


def test_a_lead_answered_in_a_period_whose_spending_already_rose_is_raised_anew_in_it():
    """A medical lead answered 不属实 in P whose 365-day total in P already exceeds the total it
    was last listed with by at least the threshold is re-raised in P itself, 新增 with a new
    线索编号 (issue 21; rules.md: "raised again ... when the 365-day out-of-pocket total
    exceeds the total that the closed lead showed in the last period it was listed by at
    least the rule's threshold")."""
    m = {"rule_code": "MED_OOP_UNCOVERED", "person_key": 9}
    first = _step(EMPTY, _hits({**m, "oop_fen": 2_500_000}), "2026-08")
    answered = pl.DataFrame({"lead_id": first["lead_id"].to_list(), "result": ["不属实"]})
    risen = _step(first, _hits({**m, "oop_fen": 4_500_000}), "2026-09", answered)
    closed = risen.filter(pl.col("lead_id") == first["lead_id"][0])
    assert closed["state"].to_list() == [lifecycle.VERIFIED]
    assert closed["closed_period"].to_list() == ["2026-09"]
    ((lead, status),) = _listed(risen)
    assert status == "新增" and lead != first["lead_id"][0]
    assert lead == lifecycle.lead_id("MED_OOP_UNCOVERED", 9, 2, "2026-09")
    # 19,999.99 more is not enough: closed, nothing listed
    short = _step(first, _hits({**m, "oop_fen": 4_499_999}), "2026-09", answered)
    assert _listed(short) == [] and short.height == 1
    # next month the new lead continues, and the answered one is history
    after = _step(risen, _hits({**m, "oop_fen": 4_600_000}), "2026-10")
    assert _listed(after) == [(lead, "持续")] and after.height == 1


def test_each_lead_records_the_thresholds_it_was_raised_under():
    """rules.md: "each lead records the rule version and the thresholds it was raised under"."""
    m = {"rule_code": "MED_OOP_UNCOVERED", "person_key": 9, "oop_fen": 2_500_000}
    states = _step(EMPTY, _hits(m, A), "2026-09")
    recorded = {
        r["rule_code"]: json.loads(r["rule_thresholds"]) for r in states.iter_rows(named=True)
    }
    assert recorded["MED_OOP_UNCOVERED"] == {
        "priority": "中",
        "threshold_yuan": 20000,
        "window_days": 365,
    }
    assert recorded["DIS_SEVERE_UNCOVERED"]["grades"] == ["一级", "二级"]
    assert set(states["rule_version"]) == {CONFIG.version}


def test_advance_is_deterministic_whatever_the_input_order():
    hits = _hits(A, {**A, "person_key": 3}, {"rule_code": "REVIEW_DUE", "person_key": 5})
    one = _step(EMPTY, hits, "2026-09")
    two = _step(EMPTY, hits.reverse(), "2026-09")
    assert one.equals(two)


def test_working_days_observe_holidays_and_make_up_days():
    # 2026-01-01..03 are holidays and Sunday 2026-01-04 is a make-up working day
    assert CALENDAR.add_working_days(dt.date(2025, 12, 31), 1) == dt.date(2026, 1, 4)


def test_a_year_the_calendar_does_not_know_is_a_clear_error_and_config_can_supply_it(
    monkeypatch,
):
    """Whatever years the installed chinese-calendar knows: it is made to know none after 2026."""
    known = chinese_calendar.is_workday

    def until_2026(day):
        if day.year > 2026:
            raise NotImplementedError(f"no data for {day.year}")
        return known(day)

    monkeypatch.setattr(chinese_calendar, "is_workday", until_2026)
    with pytest.raises(UnknownCalendarYear, match=r"\[calendar.2027\]"):
        CALENDAR.add_working_days(dt.date(2026, 12, 31), 15)
    supplied = WorkCalendar.from_config({"2027": {"holidays": ["2027-01-01"], "workdays": []}})
    assert supplied.add_working_days(dt.date(2026, 12, 31), 1) == dt.date(2027, 1, 4)
