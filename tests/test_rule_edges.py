"""Rule edges on hand-written fixtures, each quoting the line of the spec it tests (issue 21).

The generator and the rules are written by the same hands and can share a misreading of
the spec: these fixtures are built from the spec's words alone.
"""

import datetime as dt

import duckdb
import polars as pl

from crossmatch import publish
from crossmatch.rules import evaluate
from doudi_core.config import load_config
from ingest.delivery import ingest_source
from ingest.load import load_delivery
from sources import SOURCES
from tests import builders as b

CONFIG = load_config()


def _leads(rule: str, **tables) -> pl.DataFrame:
    return evaluate(b.inputs(**tables), CONFIG, rules=[rule])


def _keys(frame: pl.DataFrame) -> set[int]:
    return set(frame["person_key"].to_list())


def test_a_death_dated_exactly_on_as_of_is_deceased():
    """rules.md: "hukou status is 死亡 with a status date on or before as_of"."""
    on_as_of = _leads(
        "DECEASED_ON_ROLL",
        lowincome_rows=[{"person_key": 1}],
        hukou_rows=[{"person_key": 1, "status": "死亡", "status_date": b.AS_OF}],
    )
    assert _keys(on_as_of) == {1}
    day_after = _leads(
        "DECEASED_ON_ROLL",
        lowincome_rows=[{"person_key": 1}],
        hukou_rows=[
            {"person_key": 1, "status": "死亡", "status_date": b.AS_OF + dt.timedelta(days=1)}
        ],
    )
    assert day_after.is_empty()


def test_a_tekun_member_of_a_dibao_household_gets_no_living_subsidy_lead():
    """rules.md, DIS_LIVING_SUBSIDY_MISSING: "a member of a 在保 低保 or 低保边缘 household with a
    counting certificate ... not for 特困 members" — the household is 低保 (its applicant's
    category), one of its members is 特困 in their own right."""
    members = [
        {"person_key": 1, "household_id": "A", "category": "低保"},
        {"person_key": 2, "household_id": "A", "relation": "父母", "category": "特困"},
        {"person_key": 3, "household_id": "A", "relation": "子女", "category": "低保"},
    ]
    certs = [{"person_key": k, "grade": "三级", "living_subsidy": False} for k in (1, 2, 3)]
    leads = _leads("DIS_LIVING_SUBSIDY_MISSING", lowincome_rows=members, disability_rows=certs)
    assert _keys(leads) == {1, 3}


def test_care_subsidy_for_grade_one_with_no_and_not_for_a_certificate_that_does_not_count():
    """rules.md, DIS_CARE_SUBSIDY_MISSING: "a holder of a counting certificate of grade 一级 ...
    whose 享受重度残疾人护理补贴 is 否"; "A disability certificate counts when its state is 有效"."""
    certs = [
        {"person_key": 1, "grade": "一级", "care_subsidy": False},
        {"person_key": 2, "grade": "一级", "care_subsidy": False, "certificate_state": "注销"},
        {"person_key": 3, "grade": "一级", "care_subsidy": False, "certificate_state": "过期"},
        {"person_key": 4, "grade": "一级", "care_subsidy": True},
    ]
    assert _keys(_leads("DIS_CARE_SUBSIDY_MISSING", disability_rows=certs)) == {1}


# --- MED_OOP_BELOW_LINE: "income per head ... less the household members' combined out-of-pocket
# medical spending over the same 365 days divided by 12 and by 家庭人口数, falls below the
# county's 低保 standard"


def _household(category="低保边缘", status="在保", town=b.TOWN, income_fen=110_000):
    """Two members (本人, 配偶) of a household of two."""
    shared = {
        "category": category,
        "status": status,
        "household_size": 2,
        "income_fen": income_fen,
        "town_code": town,
        "county_code": town[:6],
    }
    return [
        {"person_key": 1, **shared},
        {"person_key": 2, "relation": "配偶", **shared},
    ]


def _spend(fen: int):
    return [{"settlement_id": "a", "person_key": 2, "oop_fen": fen}]


def test_income_after_spending_exactly_at_the_standard_is_not_below_it():
    # 1,100 - 4,800/12/2 = 900 = the standard: "falls below" is strict
    at = _leads("MED_OOP_BELOW_LINE", lowincome_rows=_household(), settlement_rows=_spend(480_000))
    assert at.is_empty()
    below = _leads(
        "MED_OOP_BELOW_LINE", lowincome_rows=_household(), settlement_rows=_spend(480_024)
    )
    assert _keys(below) == {1}


def test_below_line_raises_for_an_expenditure_household_not_a_stopped_one():
    """ "a 在保 低保边缘 or 支出型困难 household"."""
    spending = _household(category="支出型困难")
    assert _keys(
        _leads("MED_OOP_BELOW_LINE", lowincome_rows=spending, settlement_rows=_spend(600_000))
    ) == {1}
    stopped = _household(status="停保")
    assert _leads(
        "MED_OOP_BELOW_LINE", lowincome_rows=stopped, settlement_rows=_spend(600_000)
    ).is_empty()


def test_below_line_uses_each_countys_own_standard():
    """ "falls below the county's 低保 standard": with 沭阳县 at 1,000 and 宿城区 at 900, the
    same household is below the line in 沭阳县 only."""
    raw = {**CONFIG.raw, "dibao_standard_yuan": {**CONFIG.raw["dibao_standard_yuan"]}}
    raw["dibao_standard_yuan"]["321322"] = 1000
    config = CONFIG.__class__(CONFIG.path, CONFIG.version, raw)
    spend = _spend(360_000)  # 1,100 - 3,600/12/2 = 950

    def run(town):
        return evaluate(
            b.inputs(lowincome_rows=_household(town=town), settlement_rows=spend),
            config,
            rules=["MED_OOP_BELOW_LINE"],
        )

    assert run("321302001").is_empty()
    sx = run("321322001")
    assert _keys(sx) == {1} and "低于低保标准 1,000.00 元" in sx["evidence"][0]


def test_where_a_case_is_handled_follows_the_towns_precedence():
    """outputs.md: "the low-income database's town for covered people ..., else the hukou town,
    else the disability or medical record's" — with sources that disagree."""
    low, hukou, cert = "321311101", "321322102", "321323103"
    certs = [
        {"person_key": k, "grade": "一级", "care_subsidy": False, "town_code": cert}
        for k in (1, 2, 3, 4)
    ]
    leads = _leads(
        "DIS_CARE_SUBSIDY_MISSING",
        disability_rows=certs,
        lowincome_rows=[
            {"person_key": 1, "town_code": low, "county_code": low[:6]},
            {"person_key": 4, "household_id": "F4", "status": "停保", "town_code": low},
        ],
        hukou_rows=[
            {"person_key": k, "town_code": hukou, "county_code": hukou[:6]} for k in (1, 2, 4)
        ],
    )
    towns = dict(leads.select("person_key", "town_code").rows())
    assert towns == {1: low, 2: hukou, 3: cert, 4: hukou}  # 停保 covers no one
    counties = dict(leads.select("person_key", "county_code").rows())
    assert counties == {1: low[:6], 2: hukou[:6], 3: cert[:6], 4: hukou[:6]}
    medical = _leads(  # in no register at all: the medical record's county
        "MED_OOP_UNCOVERED",
        settlement_rows=[
            {"settlement_id": "a", "person_key": 9, "oop_fen": 3_000_000},
            {"settlement_id": "b", "person_key": 9, "insured_county_code": "321324"},
        ],
    )
    assert medical["county_code"].to_list() == ["321324"]


# --- CHILD_UNSUPPORTED: "a person under 18 with 人员状态 正常, not 在保 as 孤儿 or 事实无人抚养儿童"


def _family(child: dict | None = None, mother: dict | None = None, **extra) -> pl.DataFrame:
    rows = [
        {"person_key": 1, "relation": "户主", "id_sex": "男", "status": "服刑在押"},
        {"person_key": 2, "relation": "配偶", "id_sex": "女", "status": "失踪", **(mother or {})},
        {"person_key": 3, "relation": "女", "id_birth_date": dt.date(2015, 3, 1), **(child or {})},
    ]
    return _leads("CHILD_UNSUPPORTED", hukou_rows=rows, **extra)


def test_a_child_who_is_not_normal_in_hukou_raises_nothing():
    assert _keys(_family()) == {3}
    assert _family({"status": "迁出", "status_date": dt.date(2026, 1, 1)}).is_empty()


def test_a_child_protected_as_an_orphan_raises_nothing_a_stopped_one_does():
    protected = _family(lowincome_rows=[{"person_key": 3, "category": "孤儿"}])
    assert protected.is_empty()
    stopped = _family(lowincome_rows=[{"person_key": 3, "category": "孤儿", "status": "停保"}])
    assert _keys(stopped) == {3}


def test_a_parent_with_a_grade_four_intellectual_certificate_is_unable_to_support():
    """ "or of grade 三级 or 四级 in category 智力 or 精神"; 四级 肢体 is not."""
    mother = {"status": "正常"}
    four = _family(
        mother=mother, disability_rows=[{"person_key": 2, "grade": "四级", "category": "智力"}]
    )
    assert _keys(four) == {3} and "持智力四级残疾证" in four["evidence"][0]
    limb = _family(
        mother=mother, disability_rows=[{"person_key": 2, "grade": "四级", "category": "肢体"}]
    )
    assert limb.is_empty()


# --- REVIEW_DUE: "6 months when any member aged 16–59 has 劳动能力 有 or 部分; otherwise 12 months"


def _review_household(age: int, ability: str, category: str = "低保") -> pl.DataFrame:
    born = dt.date(b.AS_OF.year - age, b.AS_OF.month, b.AS_OF.day)  # `age` on as_of exactly
    members = [
        {"person_key": 1, "last_review_date": dt.date(2026, 3, 1), "category": category},
        {
            "person_key": 2,
            "relation": "子女",
            "id_birth_date": born,
            "work_ability": ability,
            "category": category,
        },
    ]
    return _leads("REVIEW_DUE", lowincome_rows=members)


def test_review_interval_is_six_months_for_members_aged_16_to_59_able_to_work():
    # last review 2026-03-01: due 2026-09-01 at 6 months (raised), 2027-03-01 at 12 (not)
    assert _keys(_review_household(16, "有")) == {1}
    assert _keys(_review_household(59, "部分")) == {1}
    assert _review_household(15, "有").is_empty()
    assert _review_household(60, "有").is_empty()
    assert _review_household(30, "无").is_empty()


def test_review_due_is_only_for_dibao_households():
    """ "a 在保 低保 household"."""
    assert _review_household(30, "有", category="低保边缘").is_empty()
    assert _review_household(30, "有", category="特困").is_empty()


# --- IDENTITY_MISMATCH: "For an invalid number the lead carries the number as delivered, less
# white space, with full-width characters converted and x upper-cased"


def test_an_invalid_or_blank_number_is_on_the_lead_as_the_spec_says(tmp_path, key):
    header = ",".join(SOURCES["lowincome"].columns)
    member = "本人,低保,在保,2020-01-01,,600,1,400,无,全自理,2026-06-01,321302001,新庄村"
    rows = [
        f"F1, ３２１３０２　1990 0101123x ,张三,{member}",  # a bad check character (valid: 4)
        f"F2,,李四,{member}",  # blank
        f"F3,321302199001011234,王五,{member}",  # valid
    ]
    folder = tmp_path / "inbox" / "2026-10" / "lowincome"
    folder.mkdir(parents=True)
    (folder / "a.csv").write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    delivery = ingest_source("lowincome", "2026-10", folder, tmp_path / "inbox", key)
    con = duckdb.connect()
    try:
        load_delivery(con, delivery)
        invalid = delivery.table("lowincome_invalid_ids")
        inputs = b.inputs(invalid=invalid.cast({"town_code": pl.String}))
        leads = evaluate(inputs, CONFIG, rules=["IDENTITY_MISMATCH"])
        shown = publish.identify(con, leads.with_columns(period=pl.lit("2026-10")), "2026-10")
    finally:
        con.close()
    by_name = dict(shown.select("name", "id_number").rows())
    assert by_name == {"张三": "32130219900101123X", "李四": ""}
    evidence = dict(shown.select("name", "evidence").rows())
    assert "校验位错误" in evidence["张三"] and "身份号码为空" in evidence["李四"]


def test_child_unsupported_reads_its_grades_from_the_configuration():
    """Issue 21: the grades and categories CHILD_UNSUPPORTED weighs are configuration: with
    四级 taken out of `unable_mental_grades`, a 四级 智力 parent no longer counts."""
    raw = {**CONFIG.raw, "rules": {**CONFIG.raw["rules"]}}
    raw["rules"]["CHILD_UNSUPPORTED"] = {
        **CONFIG.rule("CHILD_UNSUPPORTED"),
        "unable_mental_grades": ["三级"],
    }
    narrowed = CONFIG.__class__(CONFIG.path, CONFIG.version, raw)
    rows = [
        {"person_key": 1, "relation": "户主", "id_sex": "男", "status": "服刑在押"},
        {"person_key": 2, "relation": "配偶", "id_sex": "女"},
        {"person_key": 3, "relation": "女", "id_birth_date": dt.date(2015, 3, 1)},
    ]
    tables = b.inputs(
        hukou_rows=rows, disability_rows=[{"person_key": 2, "grade": "四级", "category": "智力"}]
    )
    assert _keys(evaluate(tables, CONFIG, rules=["CHILD_UNSUPPORTED"])) == {3}
    assert evaluate(tables, narrowed, rules=["CHILD_UNSUPPORTED"]).is_empty()
