"""Identity repair: each comparison (homophones, polyphonic surnames, variants, pinyin-typed
names, digit errors), and the suggestion rules of outputs.md on hand-built records."""

from __future__ import annotations

import math

import polars as pl
import pytest

from repair import model as fs
from repair.digits import number_forms
from repair.names import name_forms
from repair.records import Sides
from repair.register import Register
from repair.suggest import as_model_input, suggest

SETTINGS = {"prior_has_match": 0.9, "sample_rows": 1000, "seed": 1, "threshold": 0.9}


def forms(*names: str) -> dict[str, dict]:
    frame = name_forms(pl.DataFrame({"name": list(names)}))
    return {row["name"]: row for row in frame.iter_rows(named=True)}


def test_homophones_sound_the_same():
    """issue 27: 'edit distance calls 张伟/张玮 different'; by pronunciation they are one."""
    f = forms("张伟", "张玮", "张杰")
    assert f["张伟"]["name_sound"] == f["张玮"]["name_sound"] == "zhangwei"
    assert f["张杰"]["name_sound"] != "zhangwei"


def test_polyphonic_surnames_are_read_as_surnames():
    """issue 27: 'surnames read as surnames: 曾 zeng, 单 shan'; elsewhere every reading counts."""
    f = forms("曾伟", "单芳", "伟曾")
    assert f["曾伟"]["name_sound"] == "zengwei"
    assert f["单芳"]["name_sound"] == "shanfang"
    assert "ceng" in f["伟曾"]["name_sounds"][1] and "zeng" in f["伟曾"]["name_sounds"][1]


def test_traditional_and_variant_forms_fold_to_the_simplified():
    """issue 27: 'by shape or variant (traditional ↔ simplified, common variants)'."""
    f = forms("張偉", "张伟", "王峯")
    assert f["張偉"]["name_simple"] == f["张伟"]["name_simple"] == "张伟"
    assert f["王峯"]["name_simple"] == "王峰"


def test_a_name_typed_in_pinyin_is_its_letters():
    """outputs.md: 'a name typed in pinyin'."""
    f = forms("Zhang Wei", "ZHANG WEI", "zhangwei", "张伟")
    for typed in ("Zhang Wei", "ZHANG WEI", "zhangwei"):
        assert f[typed]["name_latin"] and f[typed]["name_sound"] == f["张伟"]["name_sound"]
    assert not f["张伟"]["name_latin"]


def test_number_forms_read_what_survives():
    """outputs.md: 'a 15-digit number with a typo … a birth date with day and month
    swapped'; the birth date and sex come from the digits when they survive."""
    frame = number_forms(
        pl.DataFrame({"n": ["32130219800612901X", "321302800612901", "3213021980061290", None]}),
        "n",
    )
    rows = frame.to_dicts()
    assert rows[0]["id17"] == "32130219800612901" and rows[0]["birth8"] == "19800612"
    assert rows[0]["birth8_swapped"] == "19801206" and rows[0]["digit_sex"] == "男"
    assert rows[1]["id17"] == "32130219800612901"  # the century restored
    assert rows[2]["id17"] is None and rows[3]["id17"] is None  # too few digits: no number


def _side(rows: list[dict], *, records: bool) -> pl.DataFrame:
    base = {
        "town_code": "321302001",
        "county_code": "321302",
        "village": "新庄村",
        "household_no": None,
        "other_households": [],
    }
    frame = pl.DataFrame([{**base, **r} for r in rows])
    frame = number_forms(name_forms(frame), "id_number")
    if records:  # numbers not valid: these records were quarantined for them
        return as_model_input(
            frame.with_columns(lead_id=pl.col("key"), number_valid=pl.lit(False)), records=True
        )
    return as_model_input(
        frame.with_columns(person_key=pl.col("key").cast(pl.Int64), sex=pl.col("digit_sex")),
        records=False,
    )


LEVELS = {
    # (record number, record name, register number, register name) -> (number, name) level
    ("32130219800612901X", "张伟", "32130219800612901X", "张伟"): ("exact", "exact"),
    ("32130219800612902X", "张伟", "32130219800612901X", "张伟"): ("one_digit", "exact"),
    ("32130219800621901X", "张伟", "32130219800612901X", "张伟"): ("transposed", "exact"),
    ("32130219801206901X", "张伟", "32130219800612901X", "張偉"): ("day_month_swapped", "variant"),
    ("32130219800612901X", "Zhang Wei", "32130219800612901X", "张伟"): ("exact", "pinyin_typed"),
    ("32130219800612901X", "张玮", "32130219800612901X", "张伟"): ("exact", "homophone"),
    ("32130219800612955X", "张杰", "32130219800612901X", "张伟"): ("two_digits", "one_character"),
    ("32130219800612777X", "张伟", "32130219800612901X", "张伟"): ("same_birth_date", "exact"),
}


@pytest.mark.parametrize("case", list(LEVELS))
def test_each_comparison_level(case):
    record_number, record_name, register_number, register_name = case
    left = _side([{"key": "L1", "id_number": record_number, "name": record_name}], records=True)
    right = _side(
        [{"key": "7", "id_number": register_number, "name": register_name}], records=False
    )
    pairs = fs.score_pairs(left, right, fs.settings(1e-4))
    assert pairs.height == 1
    labels = {}
    for comparison in ("number", "name"):
        levels = [
            lv
            for lv in fs.comparisons()[["number", "name"].index(comparison)].create_comparison_dict(
                "duckdb"
            )["comparison_levels"]
            if not lv.get("is_null_level")
        ]
        labels[comparison] = levels[len(levels) - 1 - pairs[f"gamma_{comparison}"][0]][
            "label_for_charts"
        ]
    assert (labels["number"], labels["name"]) == LEVELS[case]


# --- the suggestion rules of outputs.md, on a hand-built register ---------------------------


def register_frame(rows: list[dict]) -> pl.DataFrame:
    base = {
        "sex": "男",
        "household_no": "H1",
        "town_code": "321302001",
        "county_code": "321302",
        "village": "新庄村",
        "living": True,
    }
    return pl.DataFrame([{**base, **r} for r in rows]).with_columns(
        pl.col("person_key").cast(pl.Int64)
    )


def sides(records: list[dict], register: list[dict], members: list[tuple]) -> Sides:
    base = {
        "town_code": "321302001",
        "county_code": "321302",
        "village": "新庄村",
        "number_valid": False,
    }
    recs = pl.DataFrame([{**base, **r} for r in records]).with_columns(
        pl.col("person_key").cast(pl.Int64)
    )
    return Sides(
        recs,
        Register.from_frame(register_frame(register)),
        pl.DataFrame(
            members, schema={"household_id": pl.String, "person_key": pl.Int64}, orient="row"
        ),
    )


def fitted_model(register_rows: int = 3000) -> dict:
    """A model fitted on a small synthetic register of varied names and places, whose
    records each have one digit wrong (the hand-built cases are too few to fit on)."""
    surnames, given = (
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗",
        "伟芳娜敏静丽强磊军洋勇艳杰涛明超兰霞平刚",
    )
    register = [
        {
            "person_key": 1000 + i,
            "id_number": f"3213021{940 + i % 60}{(i % 12) + 1:02d}{(i * 7) % 28 + 1:02d}"
            f"{i % 900 + 100:03d}X",
            "name": surnames[i % 20] + given[(i * 7) % 20] + given[(i * 13) % 20],
            "household_no": f"B{i // 3}",
            "town_code": f"3213020{i % 10:02d}",
            "village": f"第{i % 7}村",
        }
        for i in range(register_rows)
    ]
    records = [
        {
            "lead_id": f"L{i:04d}",
            "person_key": 1000 + i,
            "household_id": f"F{i}",
            "id_number": r["id_number"][:15] + str((int(r["id_number"][15]) + 1) % 10) + "0X",
            "name": r["name"],
            "town_code": r["town_code"],
            "village": r["village"],
        }
        for i, r in enumerate(register[:300])
    ]
    _, model = suggest(sides(records, register, []), None, SETTINGS)
    return model


@pytest.fixture(scope="module")
def model() -> dict:
    return fitted_model()


TRUE = "32130219800612901X"
# a record of 张伟 whose number is one digit off TRUE, in low-income household F1
ONE_DIGIT_OFF = {
    "lead_id": "L1",
    "person_key": 9,
    "household_id": "F1",
    "id_number": "32130219800612902X",
    "name": "张伟",
}
SPOUSE = {"person_key": 5, "id_number": "32130219810302902X", "name": "李芳", "sex": "女"}


def test_a_homophone_with_the_right_number_suggests_its_holder_correct_the_name(model):
    """outputs.md: 'When only the name differs, the number's own holder is a candidate (the
    suggestion then says: correct the name).'"""
    s = sides(
        [
            {
                "lead_id": "L1",
                "person_key": 1,
                "household_id": "F1",
                "id_number": TRUE,
                "name": "张玮",
            }
        ],
        [{"person_key": 1, "id_number": TRUE, "name": "张伟"}, SPOUSE],
        [("F1", 1), ("F1", 5)],
    )
    out, _ = suggest(s, model, SETTINGS)
    row = out.row(0, named=True)
    assert row["suggested_id_number"] == TRUE and row["score"] >= 0.9
    assert "姓名同音（张玮/张伟）" in row["reasons"]


def test_a_deceased_person_is_never_a_candidate(model):
    """outputs.md: 'A candidate is a living person of the register (not *deceased*)'."""
    s = sides(
        [ONE_DIGIT_OFF],
        [{"person_key": 1, "id_number": TRUE, "name": "张伟", "living": False}, SPOUSE],
        [("F1", 9), ("F1", 5)],
    )
    out, _ = suggest(s, model, SETTINGS)
    assert out["suggested_person_key"][0] != 1


def test_someone_with_their_own_row_in_the_household_is_not_a_candidate(model):
    """outputs.md: 'a register person who already has a row of their own in the same
    low-income household is not a candidate for another of its rows.'"""
    s = sides(
        [
            ONE_DIGIT_OFF,
            {
                "lead_id": "L2",
                "person_key": 1,
                "household_id": "F1",
                "id_number": TRUE,
                "name": "张伟",
            },
        ],
        [{"person_key": 1, "id_number": TRUE, "name": "张伟"}, SPOUSE],
        [("F1", 9), ("F1", 1), ("F1", 5)],
    )
    out, _ = suggest(s, model, SETTINGS)
    by_lead = {r["lead_id"]: r for r in out.iter_rows(named=True)}
    assert by_lead["L1"]["suggested_person_key"] is None
    assert by_lead["L2"]["suggested_person_key"] == 1


def test_twins_who_look_the_same_share_the_probability(model):
    """The score is the best candidate's probability among all of them: two people the
    evidence cannot tell apart cannot both be 'probably right' (no suggestion at 0.9)."""
    twin = "32130219800612903X"
    s = sides(
        [ONE_DIGIT_OFF],
        [
            {"person_key": 1, "id_number": TRUE, "name": "张伟"},
            {"person_key": 2, "id_number": twin, "name": "张伟"},
            SPOUSE,
        ],
        [("F1", 9), ("F1", 5)],
    )
    out, _ = suggest(s, model, SETTINGS)
    assert 0.3 < out["score"][0] < 0.9  # each would be near certain alone


def test_a_valid_number_is_not_given_to_a_namesake_born_the_same_day(model):
    """outputs.md: 'No suggestion is better than a wrong one.' A valid number not in the
    register (someone registered elsewhere) is not a typo of a namesake's quite different
    number, however well the name and the birth date agree."""
    namesake = {
        "person_key": 1,
        "id_number": "32130219800612777X",
        "name": "张伟",
        "household_no": "H7",
        "town_code": "321302005",
        "village": "东关社区",
    }
    record = {
        "lead_id": "L1",
        "person_key": 9,
        "household_id": "F1",
        "id_number": "41010519800612901X",
        "name": "张伟",
    }
    out, _ = suggest(
        sides([{**record, "number_valid": True}], [namesake], [("F1", 9)]), model, SETTINGS
    )
    valid_score = out["score"][0]
    out, _ = suggest(
        sides([{**record, "number_valid": False}], [namesake], [("F1", 9)]), model, SETTINGS
    )
    assert valid_score < 0.9 and valid_score < out["score"][0]


def test_no_partial_agreement_outweighs_the_full_one():
    """A homophone must never count for more than the exact name (issue 27: 张伟/张玮 are
    told apart by the other evidence, not preferred to 张伟/张伟)."""
    levels = [
        {"is_null_level": True},
        {"m_probability": 0.4, "u_probability": 2e-4},  # exact: about 11 bits
        {"m_probability": 0.2, "u_probability": 4e-5},  # homophone: about 12 bits
        {"m_probability": 0.1, "u_probability": 0.5},
    ]
    model = fs.monotone({"comparisons": [{"comparison_levels": levels}]})
    weights = [
        math.log2(lv["m_probability"] / lv["u_probability"])
        for lv in model["comparisons"][0]["comparison_levels"][1:]
    ]
    assert weights[1] == pytest.approx(weights[0] - 1)
    assert weights[2] < weights[1]


def test_reasons_say_which_levels_agreed_and_a_wrong_check_character():
    """outputs.md: reasons in Chinese, e.g. '姓名同音（张伟/张玮）；出生日期一致；同户成员3人一致'."""
    from repair.suggest import LEVELS, _reason_parts

    def gamma(comparison, label):
        labels = LEVELS[comparison]
        return len(labels) - 1 - labels.index(label)

    row = {
        "gamma_number": gamma("number", "出生日期一致"),
        "gamma_name": gamma("name", "姓名同音"),
        "gamma_sex": -1,
        "gamma_place": gamma("place", "同户成员{n}人一致"),
        "shared_members": 3,
        "id_number": "321302198010129015",
        "suggested_id_number": "321302198010119010",
    }
    assert (
        _reason_parts(row, "张伟", "张玮") == "出生日期一致；姓名同音（张伟/张玮）；同户成员3人一致"
    )
    row |= {"gamma_number": gamma("number", "身份号码一致"), "id_number": "321302198010119015"}
    assert _reason_parts(row, "张伟", "张玮").startswith("身份号码前17位一致（校验位有误）")


def test_the_same_data_fits_the_same_model(model):
    """Determinism: nothing in the model (the random sample, EM) depends on the run."""
    assert fitted_model() == model


def test_the_correction_asked_for_follows_what_differs():
    """outputs.md: 'When only the name differs … the suggestion then says: correct the name.'"""
    from repair.step import correction

    rows = pl.DataFrame(
        {
            "id_number": [TRUE, "32130219800612902X", "32130219800612902X"],
            "name": ["张玮", "张伟", "张玮"],
            "suggested_id_number": [TRUE, TRUE, TRUE],
            "suggested_name": ["张伟", "张伟", "张伟"],
        }
    )
    assert rows.select(correction())["correction"].to_list() == [
        "更正姓名",
        "更正身份号码",
        "更正身份号码和姓名",
    ]
