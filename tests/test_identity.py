"""Identity-number normalisation against an independent oracle (the id-validator package)."""

import datetime as dt

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from id_validator import helper, validator

from ingest import identity
from synth import idcard

AS_OF = dt.date(2026, 10, 31)


def _run(values: list[str | None]) -> pl.DataFrame:
    frame = pl.DataFrame({"raw": values}, schema={"raw": pl.String}).lazy()
    return identity.add_identity(
        frame, "raw", id18="id18", cleaned="cleaned", reason="reason", latest_birth=AS_OF
    ).collect()


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("321302199001011234", "321302199001011234"),
        (" 3213 0219900101\u30001234 ", "321302199001011234"),
        ("３２１３０２１９９００１０１１２３４", "321302199001011234"),
        ("321302900101123", "321302199001011234"),  # 15-digit legacy form
        ("11010519491231002x", "11010519491231002X"),  # lowercase x
    ],
)
def test_dirty_forms_normalise_to_the_same_number(raw, expected):
    row = _run([raw]).row(0, named=True)
    assert row["reason"] is None
    assert row["id18"] == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (None, identity.ID_MISSING),
        ("  ", identity.ID_MISSING),
        ("32130219900101123", identity.ID_MALFORMED),
        ("32130219900101123A", identity.ID_MALFORMED),
        ("٣٢١٣٠٢١٩٩٠٠١٠١١٢٣٤", identity.ID_MALFORMED),  # Arabic-Indic digits: NFKC keeps them
        ("321302199001011235", identity.ID_BAD_CHECK_DIGIT),
        ("321302199002300000", identity.ID_BAD_CHECK_DIGIT),
    ],
)
def test_invalid_numbers_get_their_reason(raw, reason):
    assert _run([raw]).row(0, named=True)["reason"] == reason


def _with_check(body17: str) -> str:
    return body17 + idcard.check_char(body17)


def test_impossible_and_future_birth_dates_are_invalid():
    impossible = _with_check("32130219900230001")
    future = _with_check("32130220261101001")
    frame = _run([impossible, future])
    assert frame["reason"].to_list() == [identity.ID_BAD_BIRTH_DATE] * 2


def test_unknown_province_is_invalid():
    assert _run([_with_check("99130219900101001")])["reason"][0] == identity.ID_UNKNOWN_PROVINCE


def test_check_digits_agree_with_id_validator_on_thousands_of_generated_numbers():
    rng = np.random.default_rng(1)
    days = rng.integers(0, 30000, size=5000)
    births = (np.datetime64("1930-01-01") + days).astype("datetime64[D]")
    bodies = np.array(
        [
            f"320102{str(b).replace('-', '')}{s:03d}"
            for b, s in zip(births, rng.integers(1, 999, size=5000), strict=True)
        ]
    )
    numbers = idcard.with_check(bodies)
    frame = _run(list(numbers))
    assert frame["reason"].null_count() == len(numbers)
    assert all(helper.generator_check_bit(n[:17]) == n[17] for n in numbers)
    assert all(validator.is_valid(n) for n in numbers[:200])  # the full check is slow: a sample
    legacy = [n[:6] + n[8:17] for n in numbers[:200]]
    upgraded = _run(legacy)["id18"].to_list()
    assert upgraded == [validator.upgrade_id(n) for n in legacy]


@settings(max_examples=100, deadline=None)
@given(
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=AS_OF),
    seq=st.integers(min_value=0, max_value=999),
    region=st.sampled_from(["110105", "321302", "320102", "440305", "510104"]),
)
def test_property_valid_numbers_and_their_legacy_forms(birth, seq, region):
    body = f"{region}{birth:%Y%m%d}{seq:03d}"
    number = body + idcard.check_char(body)
    assert helper.generator_check_bit(body) == number[17]
    frame = _run([number, number.lower(), " ".join(number)])
    assert frame["id18"].to_list() == [number] * 3
    if birth.year < 2000:
        assert _run([number[:6] + number[8:17]])["id18"][0] == number


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="0123456789Xx ", min_size=0, max_size=20))
def test_property_validity_matches_the_oracle(text):
    row = _run([text]).row(0, named=True)
    cleaned = text.replace(" ", "").upper()
    if len(cleaned) == 18 and row["reason"] is None:
        assert helper.generator_check_bit(cleaned[:17]) == cleaned[17]
    if len(cleaned) == 18 and cleaned[:17].isdigit() and row["reason"] != identity.ID_MALFORMED:
        good = helper.generator_check_bit(cleaned[:17]) == cleaned[17]
        assert good == (row["reason"] != identity.ID_BAD_CHECK_DIGIT)


def test_a_certificate_number_is_cleaned_as_the_identity_number_it_embeds():
    """残疾人证号 = identity number + category digit + grade digit: the same dirt, the same fix."""
    from sources.disability import normalise as normalise_disability

    body = "32130219800101019"
    number = body + helper.generator_check_bit(body)  # the id-validator package's check digit
    assert number.endswith("X")
    dirty = {  # full-width digits, an inner space, a lower-case x where the check digit is X
        "certificate_no": " "
        + number.replace("3", "３", 1).replace("X", "x")[:9]
        + " "
        + number.replace("X", "x")[9:]
        + "41 ",
        "id_number": number,
        "name": "张三",
        "category": "肢体",
        "grade": "一级",
        "issue_date": "2020-01-01",
        "certificate_state": "有效",
        "living_subsidy": "是",
        "care_subsidy": "是",
        "town_code": "321302001",
    }
    raw = pl.DataFrame([dirty]).with_columns(_row=pl.lit(2), _format=pl.lit("csv"))
    row = normalise_disability(raw, dt.date(2026, 10, 31)).row(0, named=True)
    assert row["certificate"] == number + "41"
    assert row["_reason"] is None
