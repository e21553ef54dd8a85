"""Planted cohorts for the elder-care rules: for each, people who must raise its lead and
decoys at the edges rules.md draws (the 80th birthday on as_of and the day after, a visit
on the period's first day and the day before, the two care subsidies that do not stack)."""

from __future__ import annotations

import datetime as dt

from synth.elder import AFTER_AS_OF, PERIOD_START, PREVIOUS_MONTH_END
from synth.plant import MUST, MUST_NOT, Planter, add_months, day_of, from_anchor, month_end


def _years_before(day: dt.date, years: int) -> dt.date:
    return add_months(day, -12 * years)


def _alone(p: Planter, birth: dt.date, sex: str = "女", **kw) -> tuple[int, str]:
    """Someone who is the only person of their 户号."""
    return p.person(p.household(), "户主", sex, birth, exact_birth=True, **kw)


def allowance(p: Planter, m: str) -> None:
    end = month_end(m)
    # turned 80 before the period, never paid: due from the month after the birthday
    pid, id18 = _alone(p, _years_before(day_of(m, 10), 80) - dt.timedelta(days=90))
    p.case("ELDER_ALLOWANCE_MISSING", "allowance_missing", m, id18, from_anchor(m, MUST))
    # turns 80 on the period's as_of: raised (with 0 months due)
    pid, id18 = _alone(p, _years_before(end, 80))
    p.case("ELDER_ALLOWANCE_MISSING", "allowance_80_on_as_of", m, id18, from_anchor(m, MUST))
    # turns 80 the day after as_of: not in this period, raised from the next
    pid, id18 = _alone(p, _years_before(end + dt.timedelta(days=1), 80))
    p.case(
        "ELDER_ALLOWANCE_MISSING",
        "allowance_80_day_after",
        m,
        id18,
        lambda q: None if q < m else (MUST_NOT if q == m else MUST),
    )
    # paid: no lead
    pid, id18 = _alone(p, _years_before(day_of(m, 5), 86))
    p.service(pid, "尊老金", status="在发", start=dt.date(2021, 1, 1), monthly_fen=5_000)
    p.case("ELDER_ALLOWANCE_MISSING", "allowance_paid", m, id18, from_anchor(m, MUST_NOT))
    # stopped in error: raised, due from the month after the stop
    pid, id18 = _alone(p, _years_before(day_of(m, 5), 92))
    p.service(
        pid,
        "尊老金",
        status="停发",
        start=dt.date(2020, 3, 1),
        stop=add_months(day_of(m, 1), -3),
        monthly_fen=10_000,
    )
    p.case("ELDER_ALLOWANCE_MISSING", "allowance_stopped", m, id18, from_anchor(m, MUST))
    # died in the period, never paid: a death is no allowance gap
    pid, id18 = _alone(p, _years_before(day_of(m, 5), 88), event="死亡", event_date=day_of(m, 8))
    p.case("ELDER_ALLOWANCE_MISSING", "allowance_dead", m, id18, from_anchor(m, MUST_NOT))


def _covered(p: Planter, pid: int, category: str, self_care: str = "全自理") -> None:
    p.enrol(pid, p.case_id(), category, "本人", enrol=dt.date(2021, 6, 1), self_care=self_care)


def care_subsidy(p: Planter, m: str) -> None:
    born = _years_before(day_of(m, 3), 72)
    for template, category, self_care, extra, verdict in (
        ("care_dibao_full_care", "低保", "全护理", None, MUST),
        ("care_edge_assessed_severe", "低保边缘", "全自理", "重度失能", MUST),
        ("care_subsidy_stopped", "特困", "半自理", "停发", MUST),
        ("care_has_subsidy", "低保", "全护理", "在发", MUST_NOT),
        ("care_disability_subsidy", "低保", "全自理", "残疾", MUST_NOT),
        ("care_spending_category", "支出型困难", "全护理", None, MUST_NOT),
        ("care_mild_assessment", "低保", "全自理", "轻度失能", MUST_NOT),
    ):
        hh = p.household()
        pid, id18 = p.person(hh, "户主", "男", born, exact_birth=True)
        p.person(hh, "子", "男", _years_before(born, -35))  # a son at home: no visit lead
        _covered(p, pid, category, self_care)
        if extra in ("重度失能", "轻度失能"):
            p.service(pid, "能力评估", last=add_months(day_of(m, 20), -6), grade=extra)
        elif extra in ("停发", "在发"):
            p.service(
                pid,
                "护理补贴",
                status=extra,
                start=dt.date(2022, 1, 1),
                stop=add_months(day_of(m, 1), -2) if extra == "停发" else None,
                monthly_fen=30_000,
            )
        elif extra == "残疾":
            p.certificate(pid, "肢体", "一级", dt.date(2018, 5, 5), care="是")
        p.case("ELDER_CARE_SUBSIDY_MISSING", template, m, id18, from_anchor(m, verdict))
    # 59 at as_of: too young, whatever else holds (60 from the anchor's next year on)
    hh = p.household()
    young = add_months(month_end(m) + dt.timedelta(days=1), -60 * 12)
    pid, id18 = p.person(hh, "户主", "男", young, exact_birth=True)
    p.person(hh, "子", "男", _years_before(young, -30))
    _covered(p, pid, "低保", "全护理")
    p.case(
        "ELDER_CARE_SUBSIDY_MISSING",
        "care_aged_59",
        m,
        id18,
        lambda q: None if q < m else (MUST_NOT if q == m else MUST),
    )


def visits(p: Planter, m: str) -> None:
    born = _years_before(day_of(m, 4), 76)
    for template, last, verdict in (
        ("visit_none", None, MUST),
        ("visit_day_before_period", PREVIOUS_MONTH_END, MUST),
        ("visit_first_day", PERIOD_START, MUST_NOT),
        ("visit_after_as_of", AFTER_AS_OF, MUST_NOT),  # the export is taken after month end
    ):
        pid, id18 = _alone(p, born)
        _covered(p, pid, "低保")
        if last is not None:
            p.service(pid, "探访关爱", last=last, since=m)
        p.case("ELDER_VISIT_OVERDUE", template, m, id18, from_anchor(m, verdict))
    # an elderly couple, not covered, one dependent for care: both only with the elderly
    hh = p.household()
    pid, id18 = p.person(hh, "户主", "男", born, exact_birth=True)
    p.person(hh, "配偶", "女", born - dt.timedelta(days=700), exact_birth=True)
    p.service(pid, "能力评估", last=add_months(day_of(m, 2), -3), grade="完全失能")
    p.case("ELDER_VISIT_OVERDUE", "visit_elderly_couple", m, id18, from_anchor(m, MUST))
    # with a son of 40 at home: not in special difficulty
    hh = p.household()
    pid, id18 = p.person(hh, "户主", "女", born, exact_birth=True)
    p.person(hh, "子", "男", _years_before(day_of(m, 4), 40))
    _covered(p, pid, "特困")
    p.case("ELDER_VISIT_OVERDUE", "visit_son_at_home", m, id18, from_anchor(m, MUST_NOT))
    # alone, neither covered nor dependent for care
    pid, id18 = _alone(p, born)
    p.case("ELDER_VISIT_OVERDUE", "visit_not_in_difficulty", m, id18, from_anchor(m, MUST_NOT))
    # a care home: eleven elderly people in one 户号, nobody lives alone there
    hh = p.household()
    pid, id18 = p.person(hh, "户主", "男", born, exact_birth=True)
    _covered(p, pid, "特困")
    for k in range(10):
        p.person(hh, "其他", "女" if k % 2 else "男", born - dt.timedelta(days=30 * k))
    p.case("ELDER_VISIT_OVERDUE", "visit_care_home", m, id18, from_anchor(m, MUST_NOT))


def still_paid(p: Planter, m: str) -> None:
    born = _years_before(day_of(m, 6), 84)
    died = day_of(m, 12)
    for template, allowance_status, certificate, verdict in (
        ("paid_allowance_after_death", "在发", False, MUST),
        ("paid_disability_subsidy_after_death", None, True, MUST),
        ("paid_allowance_stopped", "停发", False, MUST_NOT),
    ):
        pid, id18 = _alone(p, born, event="死亡", event_date=died)
        if allowance_status:
            p.service(
                pid,
                "尊老金",
                status=allowance_status,
                start=dt.date(2022, 2, 1),
                stop=died + dt.timedelta(days=3) if allowance_status == "停发" else None,
                monthly_fen=5_000,
            )
        if certificate:
            p.certificate(pid, "视力", "二级", dt.date(2016, 3, 3), living="是", care="否")
        p.case("DECEASED_STILL_PAID", template, m, id18, from_anchor(m, verdict))
    pid, id18 = _alone(p, born)
    p.service(pid, "尊老金", status="在发", start=dt.date(2022, 2, 1), monthly_fen=5_000)
    p.case("DECEASED_STILL_PAID", "paid_alive", m, id18, from_anchor(m, MUST_NOT))


TEMPLATES = [allowance, care_subsidy, visits, still_paid]
