"""Deaths from two sources, the deceased leaving the other rules, and FUNERAL_SUBSIDY_MISSING,
at their edges on hand-built tables; each test quotes the spec line it checks (issue 25)."""

import datetime as dt

import duckdb
import polars as pl

from crossmatch import lifecycle
from crossmatch.inputs import load_funeral
from crossmatch.rules import evaluate
from crossmatch.workdays import WorkCalendar
from doudi_core.config import load_config
from tests import builders as b

CONFIG = load_config()
AS_OF = b.AS_OF  # 2026-10-31


def _hits(rule: str, **tables) -> pl.DataFrame:
    return evaluate(b.inputs(**tables), CONFIG, rules=[rule])


def _keys(frame: pl.DataFrame) -> set[int]:
    return set(frame["person_key"].to_list())


def _evidence(frame: pl.DataFrame, key: int) -> str:
    return frame.filter(pl.col("person_key") == key)["evidence"].item()


def test_a_funeral_record_dated_on_as_of_makes_a_member_deceased_the_day_after_does_not():
    """rules.md: "or when a funeral record (funeral) carries their identity number with a
    死亡日期 on or before as_of"; extracts.md: a later record "is kept and counts from the
    first period whose as_of it does not exceed"."""
    members = [{"person_key": 1, "household_id": "A"}, {"person_key": 2, "household_id": "B"}]
    records = [
        {"person_key": 1, "death_date": AS_OF},
        {"person_key": 2, "death_date": AS_OF + dt.timedelta(days=1)},
    ]
    hits = _hits("DECEASED_ON_ROLL", lowincome_rows=members, funeral_rows=records)
    assert _keys(hits) == {1}
    assert _evidence(hits, 1).startswith("殡仪馆火化记录：2026-10-31 死亡（户籍尚未注销）")


def test_the_earliest_date_wins_and_both_sources_are_named():
    """rules.md: "the date of death is the earliest of these, and the lead names the source of
    that date (and the other source too when it also shows the death)"."""
    members = [{"person_key": 1, "household_id": "A"}, {"person_key": 2, "household_id": "B"}]
    hukou = [
        {"person_key": 1, "status": "死亡", "status_date": dt.date(2026, 9, 20)},
        {"person_key": 2, "status": "死亡", "status_date": dt.date(2026, 7, 1)},
    ]
    records = [
        {"person_key": 1, "death_date": dt.date(2026, 8, 25)},
        {"person_key": 2, "death_date": dt.date(2026, 7, 3)},
    ]
    hits = _hits("DECEASED_ON_ROLL", lowincome_rows=members, hukou_rows=hukou, funeral_rows=records)
    assert _evidence(hits, 1).startswith(
        "殡仪馆火化记录：2026-08-25 死亡（公安户籍：2026-09-20 死亡）；低保仍在保，死亡后已发放 2 个月"
    )
    assert _evidence(hits, 2).startswith(
        "公安户籍：2026-07-01 死亡（殡仪馆火化记录：2026-07-03 死亡）；低保仍在保，死亡后已发放 3 个月"
    )


def test_a_record_resent_with_a_corrected_date_the_later_delivery_stands(tmp_path):
    """extracts.md: "the same 业务编号 delivered again replaces the earlier copy"."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA ingested")
    con.execute(
        "CREATE TABLE ingested.funeral AS SELECT * FROM (VALUES "
        "('2026-09', 'BZ1', 1::BIGINT, DATE '2026-09-20', '宿迁市殡仪馆', false), "
        "('2026-10', 'BZ1', 1::BIGINT, DATE '2026-09-18', '宿迁市殡仪馆', false), "
        "('2026-11', 'BZ1', 1::BIGINT, DATE '2026-09-01', '宿迁市殡仪馆', false)) "
        "AS t(delivery_period, case_no, person_key, death_date, funeral_home, fee_waived)"
    )
    records = load_funeral(con, "2026-10")
    assert records["death_date"].to_list() == [dt.date(2026, 9, 18)]


def _member(key: int, **row) -> dict:
    return {"person_key": key, "household_id": f"F{key}", **row}


def test_funeral_subsidy_stopped_on_the_day_of_death_counts_the_day_before_does_not():
    """rules.md, FUNERAL_SUBSIDY_MISSING: "a member of category 低保 or 特困 that was 在保 (or
    停保 with a 停保日期 on or after the date of death)"."""
    died = dt.date(2026, 10, 5)
    members = [
        _member(1, status="停保", stop_date=died),
        _member(2, status="停保", stop_date=died - dt.timedelta(days=1)),
        _member(3, category="特困"),
        _member(4, category="低保边缘"),
    ]
    records = [{"person_key": k, "death_date": died} for k in (1, 2, 3, 4)]
    hits = _hits("FUNERAL_SUBSIDY_MISSING", lowincome_rows=members, funeral_rows=records)
    assert _keys(hits) == {1, 3}


def test_funeral_subsidy_window_is_the_365_days_ending_as_of():
    """rules.md: "a funeral record dated (死亡日期) within the 365 days ending as_of"."""
    members = [_member(1), _member(2)]
    records = [
        {"person_key": 1, "death_date": AS_OF - dt.timedelta(days=364)},
        {"person_key": 2, "death_date": AS_OF - dt.timedelta(days=365)},
    ]
    hits = _hits("FUNERAL_SUBSIDY_MISSING", lowincome_rows=members, funeral_rows=records)
    assert _keys(hits) == {1}


def test_funeral_subsidy_needs_no_waiver_on_every_record_judged_on_the_latest_holding_snapshot():
    """rules.md: "judged on the latest low-income snapshot up to the period that still holds
    them, with 惠民殡葬减免 否 on every funeral record of theirs. The lead is on the deceased
    and handled where their household is"."""
    records = [
        {"person_key": 1, "case_no": "A1"},
        {"person_key": 2, "case_no": "B1"},
        {"person_key": 2, "case_no": "B2", "fee_waived": True},
    ]
    dropped = [_member(1, town_code="321311002", household_id="OLD")]  # gone from this month's
    hits = _hits(
        "FUNERAL_SUBSIDY_MISSING",
        lowincome_rows=[_member(2)],
        funeral_rows=records,
        funeral_member_rows=[*dropped, _member(2)],
    )
    assert _keys(hits) == {1}
    row = hits.row(0, named=True)
    assert (row["town_code"], row["household_id"]) == ("321311002", "OLD")


def test_the_deceased_leave_the_other_rules():
    """rules.md: "No rule raises a lead on a deceased person except the rules about deaths";
    a person dead by a funeral record but still 正常 in hukou (issue 25)."""
    dead = [{"person_key": 1, "death_date": dt.date(2026, 9, 1)}]
    certificate = [{"person_key": 1, "grade": "一级", "care_subsidy": False}]
    for rule in ("DIS_SEVERE_UNCOVERED", "DIS_CARE_SUBSIDY_MISSING"):
        alive = _hits(rule, hukou_rows=[{"person_key": 1}], disability_rows=certificate)
        assert _keys(alive) == {1}, rule
        gone = _hits(
            rule, hukou_rows=[{"person_key": 1}], disability_rows=certificate, funeral_rows=dead
        )
        assert gone.is_empty(), rule
    bills = [{"person_key": 1, "settlement_id": "s1", "oop_fen": 2_500_000}]
    assert _keys(_hits("MED_OOP_UNCOVERED", settlement_rows=bills)) == {1}
    assert _hits("MED_OOP_UNCOVERED", settlement_rows=bills, funeral_rows=dead).is_empty()


def test_a_deceased_applicants_household_lead_goes_to_the_oldest_living_member():
    """rules.md: "Where a rule puts its lead on a household's applicant and the applicant is
    deceased, the lead goes to the oldest living 在保 member"."""
    members = [
        _member(1, household_id="H", id_birth_date=dt.date(1940, 1, 1)),
        _member(2, household_id="H", relation="配偶", id_birth_date=dt.date(1945, 1, 1)),
        _member(3, household_id="H", relation="子女", id_birth_date=dt.date(1975, 1, 1)),
        _member(4, household_id="H", relation="父母", id_birth_date=dt.date(1930, 1, 1)),
    ]
    members[0]["last_review_date"] = dt.date(2024, 1, 1)  # overdue: REVIEW_DUE on the applicant
    for m in members[1:]:
        m["last_review_date"] = dt.date(2024, 1, 1)
    hukou = [{"person_key": 4, "status": "死亡", "status_date": dt.date(2025, 1, 1)}]
    dead_applicant = [{"person_key": 1, "death_date": dt.date(2026, 9, 1)}]
    hits = _hits(
        "REVIEW_DUE", lowincome_rows=members, hukou_rows=hukou, funeral_rows=dead_applicant
    )
    assert _keys(hits) == {2}  # 4 is older, but dead
    couple = members[:2]
    both = [{"person_key": k, "death_date": dt.date(2026, 9, 1)} for k in (1, 2)]
    nobody = _hits("REVIEW_DUE", lowincome_rows=couple, funeral_rows=both)
    assert nobody.is_empty()  # no living member to put it on: no lead (and no null person)


def test_a_parent_dead_by_a_funeral_record_counts_as_dead_for_a_child():
    """rules.md: "A parent who is deceased counts as 死亡 for CHILD_UNSUPPORTED"."""
    hukou = [
        {
            "person_key": 10,
            "relation": "户主",
            "id_sex": "男",
            "status": "服刑在押",
            "status_date": dt.date(2025, 1, 1),
        },
        {"person_key": 11, "relation": "配偶", "id_sex": "女"},
        {"person_key": 12, "relation": "子", "id_birth_date": dt.date(2018, 1, 1)},
    ]
    assert _hits("CHILD_UNSUPPORTED", hukou_rows=hukou).is_empty()
    mother_dead = [{"person_key": 11, "death_date": dt.date(2026, 6, 1)}]
    hits = _hits("CHILD_UNSUPPORTED", hukou_rows=hukou, funeral_rows=mother_dead)
    assert _keys(hits) == {12}


def test_a_deceased_housemate_leaves_an_elderly_person_living_alone():
    """rules.md: "a deceased person does not count as someone a living person lives with"."""
    hukou = [
        {"person_key": 1, "household_no": "H", "id_birth_date": dt.date(1945, 1, 1)},
        {"person_key": 2, "household_no": "H", "id_birth_date": dt.date(1990, 1, 1)},
    ]
    covered = [_member(1)]
    lives_with_son = _hits(
        "ELDER_VISIT_OVERDUE", hukou_rows=hukou, lowincome_rows=covered, eldercare_rows=[]
    )
    assert lives_with_son.is_empty()
    son_dead = [{"person_key": 2, "death_date": dt.date(2026, 9, 9)}]
    alone = _hits(
        "ELDER_VISIT_OVERDUE",
        hukou_rows=hukou,
        lowincome_rows=covered,
        eldercare_rows=[],
        funeral_rows=son_dead,
    )
    assert _keys(alone) == {1} and "独居" in _evidence(alone, 1)


def test_the_lead_raised_on_the_funeral_record_keeps_its_number_when_the_register_catches_up():
    """Issue 25: "A lead raised on the funeral record keeps its 线索编号 when the register
    catches up next month (same situation)"."""
    calendar = WorkCalendar.of(CONFIG)
    no_closures = pl.DataFrame(schema={"lead_id": pl.String, "result": pl.String})
    member = [{"person_key": 1, "household_id": "A"}]
    record = [{"person_key": 1, "death_date": dt.date(2026, 9, 3)}]
    september = evaluate(
        b.inputs(lowincome_rows=member, funeral_rows=record, period="2026-09"),
        CONFIG,
        rules=["DECEASED_ON_ROLL"],
    )
    registered = [{"person_key": 1, "status": "死亡", "status_date": dt.date(2026, 10, 8)}]
    october = evaluate(
        b.inputs(lowincome_rows=member, funeral_rows=record, hukou_rows=registered),
        CONFIG,
        rules=["DECEASED_ON_ROLL"],
    )
    first = lifecycle.advance(
        pl.DataFrame(schema=lifecycle.STATE_SCHEMA),
        september,
        no_closures,
        "2026-09",
        dt.date(2026, 9, 30),
        CONFIG,
        calendar,
    )
    second = lifecycle.advance(first, october, no_closures, "2026-10", AS_OF, CONFIG, calendar)
    assert second["lead_id"].to_list() == first["lead_id"].to_list()
    assert second["listed_status"].to_list() == [lifecycle.CONTINUING]
    assert "公安户籍：2026-10-08 死亡" in second["evidence"].item()
