"""Each rule on hand-written fixtures: the edges rules.md and the issue name."""

import datetime as dt

import polars as pl

from crossmatch.rules import evaluate
from doudi_core.config import load_config
from tests import builders as b

CONFIG = load_config()


def _leads(rule: str, **tables) -> pl.DataFrame:
    return evaluate(b.inputs(**tables), CONFIG, rules=[rule])


def _keys(frame: pl.DataFrame) -> set[int]:
    return set(frame["person_key"].to_list())


# --- MED_OOP_UNCOVERED -------------------------------------------------------------


def test_large_spending_uncovered_raises_with_evidence():
    leads = _leads(
        "MED_OOP_UNCOVERED",
        hukou_rows=[{"person_key": 1}],
        settlement_rows=[
            {"settlement_id": "a", "person_key": 1, "oop_fen": 1_500_000},
            {"settlement_id": "b", "person_key": 1, "oop_fen": 842_050, "care_type": "门诊慢特病"},
        ],
    )
    assert (
        leads.row(0, named=True)["evidence"]
        == "近12个月医保个人自付合计 23,420.50 元（住院1次），未在保"
    )
    assert leads["town_code"][0] == b.TOWN


def test_a_reversal_that_nets_below_the_threshold():
    leads = _leads(
        "MED_OOP_UNCOVERED",
        settlement_rows=[
            {"settlement_id": "a", "person_key": 1, "oop_fen": 1_500_000},
            {"settlement_id": "b", "person_key": 1, "oop_fen": 700_000},
            {
                "settlement_id": "c",
                "person_key": 1,
                "oop_fen": -700_000,
                "reverses_id": "b",
                "settlement_date": dt.date(2026, 10, 20),
            },
        ],
    )
    assert leads.is_empty()


def test_a_reversal_counts_with_its_original_even_across_the_window_edge():
    # original inside the window, reversal after it was... inside too; original outside: both out
    old = b.AS_OF - dt.timedelta(days=370)
    leads = _leads(
        "MED_OOP_UNCOVERED",
        settlement_rows=[
            {"settlement_id": "a", "person_key": 1, "oop_fen": 2_000_000},
            {"settlement_id": "old", "person_key": 1, "oop_fen": 900_000, "settlement_date": old},
            {
                "settlement_id": "r",
                "person_key": 1,
                "oop_fen": -900_000,
                "reverses_id": "old",
                "settlement_date": dt.date(2026, 1, 5),
            },
        ],
    )
    assert _keys(leads) == {
        1
    }  # the refund of a bill outside the window does not net against this year's


def test_a_settlement_366_days_old_is_outside_the_window_and_365_inside():
    def spend(days_old):
        return _leads(
            "MED_OOP_UNCOVERED",
            settlement_rows=[
                {"settlement_id": "a", "person_key": 1, "oop_fen": 1_000_000},
                {
                    "settlement_id": "b",
                    "person_key": 1,
                    "oop_fen": 1_000_000,
                    "settlement_date": b.AS_OF - dt.timedelta(days=days_old),
                },
            ],
        )

    assert spend(366).is_empty()
    assert spend(365).is_empty()  # as_of - 365 is excluded ("dates after as_of - 365")
    assert _keys(spend(364)) == {1}


def test_covered_people_are_not_raised_but_a_stopped_member_is():
    rows = [{"settlement_id": "a", "person_key": k, "oop_fen": 3_000_000} for k in (1, 2)]
    leads = _leads(
        "MED_OOP_UNCOVERED",
        settlement_rows=rows,
        lowincome_rows=[
            {"person_key": 1},
            {
                "person_key": 2,
                "household_id": "F2",
                "status": "停保",
                "stop_date": dt.date(2026, 1, 1),
            },
        ],
    )
    assert _keys(leads) == {2}


# --- MED_OOP_BELOW_LINE -------------------------------------------------------------


def test_spending_pushes_a_marginal_household_below_the_line_one_lead_on_the_applicant():
    members = [
        {"person_key": 1, "category": "低保边缘", "household_size": 2, "income_fen": 110_000},
        {
            "person_key": 2,
            "relation": "配偶",
            "category": "低保边缘",
            "household_size": 2,
            "income_fen": 110_000,
        },
    ]
    spend = [
        {"settlement_id": "a", "person_key": 2, "oop_fen": 600_000},
        {"settlement_id": "b", "person_key": 1, "oop_fen": 600_000},
    ]
    leads = _leads("MED_OOP_BELOW_LINE", lowincome_rows=members, settlement_rows=spend)
    assert _keys(leads) == {1}
    assert "扣除后人均 600.00 元，低于低保标准 900.00 元" in leads["evidence"][0]
    # 1,100 - 2,400/12/2 = 1,000: not below 900
    small = _leads(
        "MED_OOP_BELOW_LINE",
        lowincome_rows=members,
        settlement_rows=[{"settlement_id": "a", "person_key": 2, "oop_fen": 240_000}],
    )
    assert small.is_empty()


def test_below_line_only_for_marginal_and_expenditure_households():
    member = {"person_key": 1, "category": "低保", "income_fen": 50_000}
    spend = [{"settlement_id": "a", "person_key": 1, "oop_fen": 900_000}]
    assert _leads("MED_OOP_BELOW_LINE", lowincome_rows=[member], settlement_rows=spend).is_empty()


# --- disability -----------------------------------------------------------------------


def test_severe_uncovered_counts_only_valid_grade_one_and_two():
    certs = [
        {"person_key": 1, "grade": "一级"},
        {"person_key": 2, "grade": "二级"},
        {"person_key": 3, "grade": "三级"},
        {"person_key": 4, "grade": "一级", "certificate_state": "注销"},
        {"person_key": 5, "grade": "一级", "certificate_state": "过期"},
        {"person_key": 6, "grade": "二级"},
    ]
    leads = _leads(
        "DIS_SEVERE_UNCOVERED", disability_rows=certs, lowincome_rows=[{"person_key": 6}]
    )
    assert _keys(leads) == {1, 2}


def test_living_subsidy_missing_for_dibao_and_marginal_members_not_tekun():
    members = [
        {"person_key": 1, "household_id": "A"},
        {"person_key": 2, "household_id": "B", "category": "低保边缘"},
        {"person_key": 3, "household_id": "C", "category": "特困"},
        {"person_key": 4, "household_id": "D", "category": "支出型困难"},
        {"person_key": 5, "household_id": "E", "status": "停保"},
        # a member of a 在保 低保 household whose own row is 停保 still counts (household rule)
        {"person_key": 6, "household_id": "A", "relation": "子女", "status": "停保"},
    ]
    certs = [{"person_key": k, "grade": "四级", "living_subsidy": False} for k in range(1, 7)]
    leads = _leads("DIS_LIVING_SUBSIDY_MISSING", lowincome_rows=members, disability_rows=certs)
    assert _keys(leads) == {1, 2, 6}
    assert leads.filter(pl.col("person_key") == 1)["household_id"][0] == "A"


def test_care_subsidy_grade_three_mental_counts_limb_does_not():
    certs = [
        {"person_key": 1, "grade": "三级", "category": "精神", "care_subsidy": False},
        {"person_key": 2, "grade": "三级", "category": "智力", "care_subsidy": False},
        {"person_key": 3, "grade": "三级", "category": "肢体", "care_subsidy": False},
        {"person_key": 4, "grade": "二级", "category": "肢体", "care_subsidy": False},
        {"person_key": 5, "grade": "一级", "category": "肢体", "care_subsidy": True},
        {"person_key": 6, "grade": "四级", "category": "精神", "care_subsidy": False},
    ]
    assert _keys(_leads("DIS_CARE_SUBSIDY_MISSING", disability_rows=certs)) == {1, 2, 4}


# --- on the roll ------------------------------------------------------------------------


def _deceased(death: dt.date) -> pl.DataFrame:
    return _leads(
        "DECEASED_ON_ROLL",
        lowincome_rows=[{"person_key": 1}],
        hukou_rows=[{"person_key": 1, "status": "死亡", "status_date": death}],
    )


def test_a_death_in_the_period_itself_has_zero_months_overpaid():
    evidence = _deceased(dt.date(2026, 10, 12))["evidence"][0]
    assert "死亡后已发放 0 个月" in evidence and "多发 0.00 元" in evidence


def test_a_death_three_months_before_has_three_months_overpaid():
    evidence = _deceased(dt.date(2026, 7, 31))["evidence"][0]
    assert (
        "2026-07-31 死亡" in evidence
        and "已发放 3 个月" in evidence
        and "多发 1,800.00 元" in evidence
    )


def test_a_stopped_member_or_a_future_death_is_not_raised():
    stopped = _leads(
        "DECEASED_ON_ROLL",
        lowincome_rows=[{"person_key": 1, "status": "停保"}],
        hukou_rows=[{"person_key": 1, "status": "死亡", "status_date": dt.date(2026, 9, 1)}],
    )
    assert stopped.is_empty()
    assert _deceased(dt.date(2026, 11, 1)).is_empty()


def test_moved_out_on_roll():
    leads = _leads(
        "MOVED_OUT_ON_ROLL",
        lowincome_rows=[{"person_key": 1}, {"person_key": 2, "household_id": "F2"}],
        hukou_rows=[
            {"person_key": 1, "status": "迁出", "status_date": dt.date(2026, 3, 1)},
            {"person_key": 2, "status": "正常"},
        ],
    )
    assert _keys(leads) == {1}


# --- identity ------------------------------------------------------------------------------


def test_identity_mismatch_three_ways_and_not_for_equal_names():
    invalid = b.lowincome({"person_key": 9, "household_id": "F9"}).with_columns(
        reason=pl.lit("ID_BAD_CHECK_DIGIT")
    )
    leads = _leads(
        "IDENTITY_MISMATCH",
        lowincome_rows=[
            {"person_key": 1, "name_key": 10},
            {"person_key": 2, "household_id": "F2", "name_key": 20},
            {"person_key": 3, "household_id": "F3", "name_key": 30},
        ],
        hukou_rows=[{"person_key": 1, "name_key": 10}, {"person_key": 2, "name_key": 21}],
        invalid=invalid,
    )
    by_person = dict(leads.select("person_key", "evidence").rows())
    assert set(by_person) == {2, 3, 9}
    assert "校验位错误" in by_person[9] and "未找到" in by_person[3] and "姓名" in by_person[2]


def test_a_legacy_15_digit_number_matches_its_18_digit_form(tmp_path, key):
    from ingest.delivery import ingest_source
    from sources import SOURCES

    HUKOU, LOWINCOME = SOURCES["hukou"], SOURCES["lowincome"]

    def write(source, header, row):
        folder = tmp_path / "2026-10" / source
        folder.mkdir(parents=True)
        (folder / "a.csv").write_text(
            ",".join(header) + "\n" + ",".join(row) + "\n", encoding="utf-8"
        )

    write(
        "hukou",
        list(HUKOU.columns),
        [
            "11010519491231002X",
            "王芳",
            "女",
            "1949-12-31",
            "H1",
            "户主",
            "",
            "",
            "321302001",
            "地址",
            "正常",
            "",
        ],
    )
    write(
        "lowincome",
        list(LOWINCOME.columns),
        [
            "F1",
            "110105491231002",
            "王芳",
            "本人",
            "低保",
            "在保",
            "2020-01-01",
            "",
            "600",
            "1",
            "400",
            "无",
            "全自理",
            "2026-06-01",
            "321302001",
            "村",
        ],
    )
    hukou = ingest_source("hukou", "2026-10", tmp_path / "2026-10" / "hukou", tmp_path, key).table(
        "hukou"
    )
    low = ingest_source(
        "lowincome", "2026-10", tmp_path / "2026-10" / "lowincome", tmp_path, key
    ).table("lowincome")
    assert hukou["person_key"].to_list() == low["person_key"].to_list()
    leads = evaluate(
        b.inputs().__class__(**{**b.inputs().__dict__, "hukou": hukou, "lowincome": low}),
        CONFIG,
        rules=["IDENTITY_MISMATCH"],
    )
    assert leads.is_empty()


# --- children --------------------------------------------------------------------------------


def _family(father: dict, mother: dict, child: dict | None = None, **extra) -> pl.DataFrame:
    rows = [
        {"person_key": 1, "relation": "户主", "id_sex": "男", **father},
        {
            "person_key": 2,
            "relation": "配偶",
            "id_sex": "女",
            "id_birth_date": dt.date(1985, 1, 1),
            **mother,
        },
        {"person_key": 3, "relation": "子", "id_birth_date": dt.date(2016, 5, 1), **(child or {})},
    ]
    return _leads("CHILD_UNSUPPORTED", hukou_rows=rows, **extra)


def test_parents_found_only_through_householder_and_spouse():
    leads = _family(
        {"status": "服刑在押", "status_date": dt.date(2026, 1, 1)},
        {"status": "失踪", "status_date": dt.date(2025, 1, 1)},
    )
    assert _keys(leads) == {3}
    assert leads["evidence"][0] == "父亲：服刑在押；母亲：失踪"


def test_both_parents_dead_is_a_suspected_orphan():
    leads = _family({"status": "死亡"}, {"status": "死亡"})
    assert leads["evidence"][0].startswith("疑似孤儿")


def test_one_parent_dead_and_the_other_disabled_or_seriously_ill():
    disabled = _family(
        {"status": "死亡"},
        {},
        disability_rows=[{"person_key": 2, "grade": "三级", "category": "精神"}],
    )
    assert "持精神三级残疾证" in disabled["evidence"][0]
    ill = _family(
        {"status": "死亡"},
        {},
        settlement_rows=[{"settlement_id": "s", "person_key": 2, "oop_fen": 5_000_000}],
    )
    assert _keys(ill) == {3}
    not_seriously = _family(
        {"status": "死亡"},
        {},
        settlement_rows=[{"settlement_id": "s", "person_key": 2, "oop_fen": 4_999_999}],
    )
    assert not_seriously.is_empty()


def test_no_lead_when_a_parent_cannot_be_identified_or_the_child_is_protected_or_adult():
    rows = [
        {"person_key": 1, "relation": "户主", "status": "服刑在押"},
        {"person_key": 3, "relation": "子", "id_birth_date": dt.date(2016, 5, 1)},
    ]
    assert _leads("CHILD_UNSUPPORTED", hukou_rows=rows).is_empty()
    protected = _family(
        {"status": "服刑在押"},
        {"status": "服刑在押"},
        lowincome_rows=[{"person_key": 3, "category": "事实无人抚养儿童"}],
    )
    assert protected.is_empty()
    adult = _family(
        {"status": "服刑在押"}, {"status": "服刑在押"}, {"id_birth_date": dt.date(2008, 10, 31)}
    )
    assert adult.is_empty()  # 18 on as_of
    almost = _family(
        {"status": "服刑在押"}, {"status": "服刑在押"}, {"id_birth_date": dt.date(2008, 11, 1)}
    )
    assert _keys(almost) == {3}


def test_parents_named_by_identity_columns_win_over_the_household():
    rows = [
        {"person_key": 1, "relation": "户主", "id_sex": "男", "household_no": "G"},  # grandfather
        {
            "person_key": 3,
            "relation": "孙子",
            "household_no": "G",
            "id_birth_date": dt.date(2016, 1, 1),
            "father_key": 7,
            "mother_key": 8,
        },
        {"person_key": 7, "household_no": "X", "status": "服刑在押"},
        {"person_key": 8, "household_no": "Y", "id_sex": "女", "status": "服刑在押"},
    ]
    assert _keys(_leads("CHILD_UNSUPPORTED", hukou_rows=rows)) == {3}


# --- reviews -----------------------------------------------------------------------------------


def _review(last: dt.date, **member) -> pl.DataFrame:
    return _leads(
        "REVIEW_DUE", lowincome_rows=[{"person_key": 1, "last_review_date": last, **member}]
    )


def test_a_household_due_in_exactly_30_days_is_raised_at_31_not():
    due_in_30 = b.AS_OF + dt.timedelta(days=30)  # 2026-11-30: last review 2025-11-30 (12 months)
    assert _keys(_review(dt.date(due_in_30.year - 1, due_in_30.month, due_in_30.day))) == {1}
    assert _review(dt.date(2025, 12, 1)).is_empty()


def test_an_overdue_review_is_high_priority_and_a_working_age_able_member_halves_the_interval():
    overdue = _review(dt.date(2025, 10, 1))
    assert overdue["priority"][0] == "高" and "已逾期 30 天" in overdue["evidence"][0]
    due_soon = _review(dt.date(2026, 5, 15), work_ability="有", id_birth_date=dt.date(1990, 1, 1))
    assert due_soon["priority"][0] == "中" and "复核周期6个月" in due_soon["evidence"][0]
    over_59 = _review(dt.date(2026, 5, 15), work_ability="有", id_birth_date=dt.date(1960, 1, 1))
    assert over_59.is_empty()


def test_never_reviewed_counts_from_enrolment():
    leads = _review(None, enrol_date=dt.date(2025, 11, 15))
    assert "纳入日期，未核查过" in leads["evidence"][0]
