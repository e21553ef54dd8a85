"""Planted cohorts for deaths and funerals: deaths the funeral homes know before the register
(or only they know), the 惠民殡葬 waiver at its edges (停保 on the day of death and the day
before, a category that does not qualify, a death outside the 365 days), and a holder of a
severe certificate who died, whom the disability rule must now leave alone."""

from __future__ import annotations

import datetime as dt

from doudi_core.period import shift
from synth.plant import MUST, MUST_NOT, Planter, day_of, from_anchor, in_window, month_end


def _member(p: Planter, category: str = "低保", stop: dt.date | None = None, **kw):
    hh = p.household()
    pid, id18 = p.person(hh, "户主", "女", dt.date(1948, 6, 6), **kw)
    p.enrol(pid, p.case_id(), category, "本人", enrol=dt.date(2020, 3, 1), stop=stop)
    return pid, id18


def on_roll(p: Planter, m: str) -> None:
    died = day_of(m, 3)
    # only the funeral home knows: the register never catches up
    pid, id18 = _member(p)
    p.funeral(pid, died, m)
    p.case("DECEASED_ON_ROLL", "funeral_only_on_roll", m, id18, from_anchor(m, MUST))
    # the register catches up next month: the same situation, the same lead
    pid, id18 = _member(p, event="死亡", event_date=day_of(shift(m, 1), 10))
    p.funeral(pid, died, m)
    p.case("DECEASED_ON_ROLL", "funeral_then_register", m, id18, from_anchor(m, MUST))
    # died three days after the period's end, exported with the period: counts from the next
    pid, id18 = _member(p)
    p.funeral(pid, month_end(m) + dt.timedelta(days=3), m)
    p.case(
        "DECEASED_ON_ROLL",
        "funeral_after_as_of",
        m,
        id18,
        lambda q: None if q < m else (MUST_NOT if q == m else MUST),
    )
    # a record resent next month with a corrected 死亡日期: the later copy stands
    pid, id18 = _member(p)
    case_no = p.funeral(pid, day_of(m, 20), m)
    p.funeral(pid, day_of(m, 18), shift(m, 1), case_no=case_no)
    p.case("DECEASED_ON_ROLL", "funeral_resent", m, id18, from_anchor(m, MUST))


def subsidy(p: Planter, m: str) -> None:
    died = day_of(m, 5)

    def in_year(q: str) -> bool:
        return in_window(died, q)

    for template, category, stop, waived, verdict in (
        ("funeral_subsidy_missing", "低保", None, False, MUST),
        ("funeral_subsidy_tekun_stopped_on_death", "特困", died, False, MUST),
        ("funeral_subsidy_waived", "低保", None, True, MUST_NOT),
        ("funeral_subsidy_edge_category", "低保边缘", None, False, MUST_NOT),
        (
            "funeral_subsidy_stopped_day_before",
            "低保",
            died - dt.timedelta(days=1),
            False,
            MUST_NOT,
        ),
    ):
        pid, id18 = _member(p, category, stop)
        p.funeral(pid, died, m, waived=waived)

        def expect(q, verdict=verdict):
            if q < m:
                return None
            if verdict == MUST:
                return MUST if in_year(q) else MUST_NOT  # 366 days ago: out
            return MUST_NOT

        p.case("FUNERAL_SUBSIDY_MISSING", template, m, id18, expect)


def severe_holder_dead(p: Planter, m: str) -> None:
    hh = p.household()
    pid, id18 = p.person(hh, "户主", "男", dt.date(1970, 2, 2))
    p.certificate(pid, "肢体", "一级", dt.date(2015, 5, 5), care="是")
    p.funeral(pid, day_of(m, 6), m)
    p.case(
        "DIS_SEVERE_UNCOVERED", "severe_holder_dead_by_funeral", m, id18, from_anchor(m, MUST_NOT)
    )


TEMPLATES = [on_roll, subsidy, severe_holder_dead]
