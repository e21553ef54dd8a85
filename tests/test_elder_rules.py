"""The elder-care rules at their edges, on hand-built tables; each test quotes the line of
rules.md it checks (issue 24). Built from the spec's words, not from the generator."""

import datetime as dt

import polars as pl

from crossmatch import lifecycle
from crossmatch.rules import evaluate, evaluate_period
from crossmatch.workdays import WorkCalendar
from doudi_core.config import load_config
from tests import builders as b

CONFIG = load_config()
AS_OF = b.AS_OF  # 2026-10-31
START = dt.date(2026, 10, 1)


def _years_before(day: dt.date, years: int) -> dt.date:
    return day.replace(year=day.year - years)


def _hits(rule: str, *, eldercare=(), **tables) -> pl.DataFrame:
    return evaluate(b.inputs(eldercare_rows=list(eldercare), **tables), CONFIG, rules=[rule])


def _keys(frame: pl.DataFrame) -> set[int]:
    return set(frame["person_key"].to_list())


def _evidence(frame: pl.DataFrame, key: int) -> str:
    return frame.filter(pl.col("person_key") == key)["evidence"].item()


# --- ELDER_ALLOWANCE_MISSING --------------------------------------------------------------


def test_the_80th_birthday_on_as_of_raises_and_the_day_after_does_not():
    """rules.md: "a person with hukou status 正常 whose 80th birthday is on or before as_of,
    with no 尊老金 row 在发"."""
    people = [
        {"person_key": 1, "id_birth_date": _years_before(AS_OF, 80), "household_no": "A"},
        {
            "person_key": 2,
            "id_birth_date": _years_before(AS_OF + dt.timedelta(days=1), 80),
            "household_no": "B",
        },
        {"person_key": 3, "id_birth_date": dt.date(1930, 5, 5), "household_no": "C"},
        {"person_key": 4, "id_birth_date": dt.date(1930, 5, 5), "status": "迁出"},
    ]
    paid = [{"person_key": 3, "service": "尊老金", "status": "在发"}]
    hits = _hits("ELDER_ALLOWANCE_MISSING", hukou_rows=people, eldercare=paid)
    assert _keys(hits) == {1}
    # "(0 when that month is after the period)": the birthday month's next is November
    assert "应补发 0 个月" in _evidence(hits, 1)


def test_months_due_start_after_the_birthday_or_a_later_stop_and_stop_at_24():
    """rules.md: "the months due: from the month after the 80th birthday (or, if later, the
    month after a 尊老金 停发日期) through the period ..., at most 24 (the back-pay limit)"."""
    people = [
        {"person_key": 1, "id_birth_date": dt.date(1946, 7, 15), "household_no": "A"},  # Aug-Oct
        {"person_key": 2, "id_birth_date": dt.date(1940, 1, 1), "household_no": "B"},
        {"person_key": 3, "id_birth_date": dt.date(1930, 1, 1), "household_no": "C"},
    ]
    stopped = [
        {
            "person_key": 2,
            "service": "尊老金",
            "status": "停发",
            "stop_date": dt.date(2026, 6, 30),  # due from July: 4 months
            "monthly_fen": 5_000,
        }
    ]
    hits = _hits("ELDER_ALLOWANCE_MISSING", hukou_rows=people, eldercare=stopped)
    assert "应补发 3 个月" in _evidence(hits, 1)
    assert "应补发 4 个月" in _evidence(hits, 2)
    assert "应补发 24 个月" in _evidence(hits, 3)


def test_the_monthly_amount_follows_the_age_band():
    """rules.md: "the monthly amount for the person's age band (80–89: 50, 90–99: 100, 100 and
    over: 300 yuan)"."""
    ages = {1: 89, 2: 90, 3: 99, 4: 100}
    people = [
        {"person_key": k, "id_birth_date": _years_before(START, age), "household_no": str(k)}
        for k, age in ages.items()
    ]
    hits = _hits("ELDER_ALLOWANCE_MISSING", hukou_rows=people)
    amounts = {k: _evidence(hits, k).split("每月 ")[1].split(" 元")[0] for k in ages}
    assert amounts == {1: "50.00", 2: "100.00", 3: "100.00", 4: "300.00"}


# --- ELDER_CARE_SUBSIDY_MISSING -------------------------------------------------------------


def _member(key: int, **row) -> dict:
    return {
        "person_key": key,
        "household_id": f"F{key}",
        "id_birth_date": dt.date(1950, 1, 1),
        "self_care": "全护理",
        **row,
    }


def test_care_subsidy_needs_age_60_at_as_of():
    """rules.md: "a person aged at least 60, covered in category 低保, 特困 or 低保边缘, who is
    dependent for care"."""
    members = [
        _member(1, id_birth_date=_years_before(AS_OF, 60)),
        _member(2, id_birth_date=_years_before(AS_OF + dt.timedelta(days=1), 60)),
    ]
    assert _keys(_hits("ELDER_CARE_SUBSIDY_MISSING", lowincome_rows=members)) == {1}


def test_care_subsidy_categories_in_and_out():
    """rules.md: "covered in category 低保, 特困 or 低保边缘" (covered in category X: an 在保
    row of their own whose 救助类别 is X)."""
    members = [
        _member(1, category="低保"),
        _member(2, category="特困"),
        _member(3, category="低保边缘"),
        _member(4, category="支出型困难"),
        _member(5, category="低保", status="停保"),
    ]
    assert _keys(_hits("ELDER_CARE_SUBSIDY_MISSING", lowincome_rows=members)) == {1, 2, 3}


def test_a_stopped_nursing_subsidy_raises_a_running_one_does_not():
    """rules.md: "with no 护理补贴 row 在发"."""
    members = [_member(1), _member(2)]
    care = [
        {
            "person_key": 1,
            "service": "护理补贴",
            "status": "停发",
            "stop_date": dt.date(2026, 5, 1),
        },
        {"person_key": 2, "service": "护理补贴", "status": "在发"},
    ]
    hits = _hits("ELDER_CARE_SUBSIDY_MISSING", lowincome_rows=members, eldercare=care)
    assert _keys(hits) == {1}


def test_the_disability_care_subsidy_excludes_only_on_a_counting_certificate():
    """rules.md: "not receiving the disability care subsidy (享受重度残疾人护理补贴 是 on a
    counting certificate: the two do not stack)"."""
    members = [_member(1), _member(2), _member(3)]
    certificates = [
        {"person_key": 1, "grade": "一级", "care_subsidy": True},
        {"person_key": 2, "grade": "一级", "care_subsidy": True, "certificate_state": "注销"},
        {"person_key": 3, "grade": "一级", "care_subsidy": False},
    ]
    hits = _hits("ELDER_CARE_SUBSIDY_MISSING", lowincome_rows=members, disability_rows=certificates)
    assert _keys(hits) == {2, 3}


def test_dependent_for_care_by_assessment_self_care_or_certificate():
    """rules.md: "dependent for care when their latest 能力评估 grade is 中度失能, 重度失能 or
    完全失能, or their 自理能力 on an 在保 row ... is 半自理 or 全护理, or they hold a
    counting certificate of grade 一级 or 二级"."""
    members = [_member(k, self_care="全自理") for k in range(1, 7)]
    members[2]["self_care"] = "半自理"
    assessments = [
        {"person_key": 1, "service": "能力评估", "status": None, "assessment_grade": "中度失能"},
        {"person_key": 2, "service": "能力评估", "status": None, "assessment_grade": "轻度失能"},
    ]
    certificates = [
        {"person_key": 4, "grade": "二级", "care_subsidy": False},
        {"person_key": 5, "grade": "三级", "care_subsidy": False},
        {"person_key": 6, "grade": "二级", "care_subsidy": False, "certificate_state": "过期"},
    ]
    hits = _hits(
        "ELDER_CARE_SUBSIDY_MISSING",
        lowincome_rows=members,
        disability_rows=certificates,
        eldercare=assessments,
    )
    assert _keys(hits) == {1, 3, 4}
    assert "能力评估中度失能" in _evidence(hits, 1)


# --- ELDER_VISIT_OVERDUE --------------------------------------------------------------------


def _elder(key: int, household: str, **row) -> dict:
    return {
        "person_key": key,
        "household_no": household,
        "id_birth_date": dt.date(1945, 3, 3),
        **row,
    }


def _covered(*keys: int) -> list[dict]:
    return [{"person_key": k, "household_id": f"F{k}"} for k in keys]


def test_a_visit_on_the_periods_first_day_counts_the_day_before_does_not():
    """rules.md: "whose latest 探访关爱 visit is before the first day of the period (or who has
    none)"; extracts.md: "a 最近日期 after the period's as_of counts as within the period"."""
    people = [_elder(k, f"H{k}") for k in (1, 2, 3, 4)]
    visits = [
        {"person_key": 1, "service": "探访关爱", "status": None, "last_date": START},
        {
            "person_key": 2,
            "service": "探访关爱",
            "status": None,
            "last_date": START - dt.timedelta(days=1),
        },
        {
            "person_key": 4,
            "service": "探访关爱",
            "status": None,
            "last_date": AS_OF + dt.timedelta(days=4),
        },
    ]
    hits = _hits(
        "ELDER_VISIT_OVERDUE",
        hukou_rows=people,
        lowincome_rows=_covered(1, 2, 3, 4),
        eldercare=visits,
    )
    assert _keys(hits) == {2, 3}
    assert "无探访关爱记录" in _evidence(hits, 3)


def test_who_lives_alone_or_only_with_the_elderly():
    """rules.md: "who lives alone (the only 正常 person of their 户号) or only with people
    aged 60 or more"; "a 户号 with more than 10 such people is a collective household"."""
    sixty = _years_before(AS_OF, 60)
    people = [
        _elder(1, "ALONE"),
        _elder(2, "OLD"),
        _elder(3, "OLD", id_birth_date=sixty),  # 60 on as_of: elderly
        _elder(4, "YOUNG"),
        _elder(5, "YOUNG", id_birth_date=sixty + dt.timedelta(days=1)),  # 59
        _elder(6, "GONE"),
        _elder(7, "GONE", status="死亡", status_date=dt.date(2026, 3, 1)),  # not 正常
        _elder(8, "   "),  # a blank 户号 is shared with nobody
        _elder(9, "MOVED"),
        _elder(10, "MOVED", id_birth_date=dt.date(1990, 1, 1), status="迁出"),  # not 正常
        *[_elder(100 + k, "HOME10") for k in range(10)],
        *[_elder(200 + k, "HOME11") for k in range(11)],
    ]
    covered = _covered(1, 2, 3, 4, 6, 8, 9, 100, 200)
    hits = _hits("ELDER_VISIT_OVERDUE", hukou_rows=people, lowincome_rows=covered)
    assert _keys(hits) == {1, 2, 3, 6, 8, 9, 100}


def test_visit_needs_covered_or_dependent_and_age_60():
    """rules.md: "aged at least 60 ... and who is covered or dependent for care"."""
    people = [
        _elder(1, "A"),
        _elder(2, "B"),
        _elder(3, "C"),
        _elder(4, "D", id_birth_date=_years_before(AS_OF + dt.timedelta(days=1), 60)),
    ]
    certificates = [{"person_key": 2, "grade": "二级"}]
    hits = _hits(
        "ELDER_VISIT_OVERDUE",
        hukou_rows=people,
        lowincome_rows=_covered(4),
        disability_rows=certificates,
    )
    assert _keys(hits) == {2}


def test_visit_priority_is_high_only_alone_and_dependent():
    """rules.md: "Priority 高 when living alone and dependent for care"."""
    people = [_elder(1, "A"), _elder(2, "B"), _elder(3, "B"), _elder(4, "C")]
    certificates = [{"person_key": k, "grade": "一级"} for k in (1, 2)]
    hits = _hits(
        "ELDER_VISIT_OVERDUE",
        hukou_rows=people,
        disability_rows=certificates,
        lowincome_rows=_covered(4),
    )
    priority = dict(zip(hits["person_key"], hits["priority"], strict=True))
    assert priority == {1: "高", 2: "中", 4: "中"}


# --- DECEASED_STILL_PAID --------------------------------------------------------------------


def test_deceased_still_paid_names_every_payment_and_the_overpayment():
    """rules.md: "One lead per person naming every payment still running; for the
    elder-services payments, the months paid since death ... and the amount overpaid,
    months × 月发放金额"."""
    dead = [
        {"person_key": 1, "status": "死亡", "status_date": dt.date(2026, 8, 20)},
        {"person_key": 2, "status": "死亡", "status_date": dt.date(2026, 8, 20)},
        {"person_key": 3, "status": "死亡", "status_date": AS_OF + dt.timedelta(days=1)},
    ]
    payments = [
        {"person_key": 1, "service": "尊老金", "monthly_fen": 10_000},
        {"person_key": 1, "service": "护理补贴", "monthly_fen": 30_000},
        {"person_key": 2, "service": "尊老金", "status": "停发", "stop_date": dt.date(2026, 9, 1)},
        {"person_key": 3, "service": "尊老金"},
    ]
    certificates = [{"person_key": 1, "living_subsidy": True, "care_subsidy": False}]
    hits = _hits(
        "DECEASED_STILL_PAID", hukou_rows=dead, eldercare=payments, disability_rows=certificates
    )
    assert _keys(hits) == {1}
    text = _evidence(hits, 1)
    assert "尊老金（死亡后已发放 2 个月，按月 100.00 元计多发 200.00 元）" in text
    assert "护理补贴（死亡后已发放 2 个月，按月 300.00 元计多发 600.00 元）" in text
    assert "困难残疾人生活补贴" in text and "重度残疾人护理补贴" not in text


def test_deceased_still_paid_runs_without_eldercare():
    """rules.md: "DECEASED_STILL_PAID always runs on what exists"."""
    inputs = b.inputs(
        hukou_rows=[{"person_key": 1, "status": "死亡", "status_date": dt.date(2026, 1, 1)}],
        disability_rows=[{"person_key": 1, "living_subsidy": False, "care_subsidy": True}],
    )
    evaluation = evaluate_period(inputs, CONFIG)
    assert _keys(evaluation.hits.filter(pl.col("rule_code") == "DECEASED_STILL_PAID")) == {1}
    assert set(evaluation.skipped) == {
        "ELDER_ALLOWANCE_MISSING",
        "ELDER_CARE_SUBSIDY_MISSING",
        "ELDER_VISIT_OVERDUE",
        "FUNERAL_SUBSIDY_MISSING",  # no funeral delivery either
    }


# --- skipping and the lifecycle -------------------------------------------------------------


def test_without_a_delivery_of_its_own_only_the_visit_rule_is_skipped():
    """rules.md: "ELDER_VISIT_OVERDUE is also skipped, its open leads carried unchanged, in a
    period without an eldercare delivery of its own"."""
    inputs = b.inputs(
        hukou_rows=[_elder(1, "A", id_birth_date=dt.date(1930, 1, 1))],
        lowincome_rows=_covered(1),
        eldercare_rows=[],
        eldercare_period="2026-09",
    )
    evaluation = evaluate_period(inputs, CONFIG)
    assert list(evaluation.skipped) == ["ELDER_VISIT_OVERDUE", "FUNERAL_SUBSIDY_MISSING"]
    assert set(evaluation.hits["rule_code"]) == {"ELDER_ALLOWANCE_MISSING"}
    assert evaluation.elder_coverage["visited_in_period"].is_null().all()


def test_a_skipped_rules_open_lead_is_carried_unchanged_and_still_listed():
    """rules.md: "its open leads carried unchanged"."""
    calendar = WorkCalendar.of(CONFIG)
    hit = pl.DataFrame(
        {
            "rule_code": ["ELDER_VISIT_OVERDUE"],
            "person_key": [1],
            "priority": ["高"],
            "evidence": ["76周岁，独居"],
            "oop_fen": [None],
            "household_id": [None],
            "town_code": [b.TOWN],
            "county_code": [b.TOWN[:6]],
        },
        schema_overrides={"oop_fen": pl.Int64, "household_id": pl.String},
    )
    no_closures = pl.DataFrame(schema={"lead_id": pl.String, "result": pl.String})
    september = lifecycle.advance(
        pl.DataFrame(schema=lifecycle.STATE_SCHEMA),
        hit,
        no_closures,
        "2026-09",
        dt.date(2026, 9, 30),
        CONFIG,
        calendar,
    )
    october = lifecycle.advance(
        september,
        hit.clear(),
        no_closures,
        "2026-10",
        AS_OF,
        CONFIG,
        calendar,
        carried=frozenset({"ELDER_VISIT_OVERDUE"}),
    )
    row = october.row(0, named=True)
    before = september.row(0, named=True)
    assert row["state"] == lifecycle.OPEN and row["listed_status"] == lifecycle.CONTINUING
    assert {k: row[k] for k in ("lead_id", "evidence", "priority", "due_date")} == {
        k: before[k] for k in ("lead_id", "evidence", "priority", "due_date")
    }
    # run, the same empty hits close it: the rule's condition is gone
    ran = lifecycle.advance(september, hit.clear(), no_closures, "2026-10", AS_OF, CONFIG, calendar)
    assert ran.row(0, named=True)["state"] == lifecycle.GONE
