"""Date and amount parsers: every form of extracts.md, and properties against Python's own."""

import datetime as dt
import unicodedata

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.values import folded, map_code, normalise_name, parse_date, parse_fen


def _date(value, serial=False):
    return (
        pl.DataFrame({"v": [value]}, schema={"v": pl.String})
        .select(parse_date(pl.col("v"), serial))
        .item()
    )


def _fen(value):
    return (
        pl.DataFrame({"v": [value]}, schema={"v": pl.String}).select(parse_fen(pl.col("v"))).item()
    )


@pytest.mark.parametrize(
    "text",
    [
        "20261031",
        "2026-10-31",
        "2026/10/31",
        "2026年10月31日",
        "2026-10-31 00:00:00",
        " 2026-10-31 ",
    ],
)
def test_every_date_form(text):
    assert _date(text) == dt.date(2026, 10, 31)


@pytest.mark.parametrize("text", ["2026/9/5", "2026年9月5日", "2026-9-5"])
def test_unpadded_dates(text):
    assert _date(text) == dt.date(2026, 9, 5)


def test_excel_serials_only_where_allowed():
    assert _date("46326", serial=True) == dt.date(2026, 10, 31)
    assert _date("46326.0", serial=True) == dt.date(2026, 10, 31)
    assert _date("46326", serial=False) is None


@pytest.mark.parametrize("text", ["2026-02-30", "2026-13-01", "abc", "", None, "31/10/2026"])
def test_unparsable_or_blank_dates_are_null(text):
    assert _date(text) is None


@pytest.mark.parametrize(
    ("text", "fen"),
    [
        ("12,345.60", 1_234_560),
        ("12345.6", 1_234_560),
        ("-300", -30_000),
        ("0.05", 5),
        ("￥1,000元", 100_000),
        ("-1,234.5", -123_450),
        ("7", 700),
    ],
)
def test_amounts_to_exact_fen(text, fen):
    assert _fen(text) == fen


@pytest.mark.parametrize(
    "text", ["12.345", "1,2a", "", None, "--1", "1.2.3", "1" + "0" * 13, "1" + "0" * 17]
)
def test_bad_amounts_are_null(text):
    assert _fen(text) is None


@settings(max_examples=150, deadline=None)
@given(
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31)),
    st.sampled_from(["%Y%m%d", "%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日"]),
)
def test_property_dates_round_trip(day, form):
    assert _date(day.strftime(form)) == day
    assert _date(f"{day.year}/{day.month}/{day.day}") == day


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=-(10**11), max_value=10**11))
def test_property_amounts_round_trip(fen):
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    assert _fen(f"{sign}{whole:,}.{cents:02d}") == fen
    assert _fen(f"{sign}{whole}.{cents:02d}") == fen


def test_code_tables_accept_names_and_codes():
    table = {"男": "男", "女": "女", "1": "男", "2": "女"}
    frame = pl.DataFrame({"v": ["1", " 女 ", "２", "x", None]}).select(map_code(pl.col("v"), table))
    assert frame.to_series().to_list() == ["男", "女", "女", None, None]


def test_names_compare_after_nfkc_and_without_spaces():
    frame = pl.DataFrame({"v": ["张 三", "张\u3000三", "张三", "ＡＢ"]}).select(
        normalise_name(pl.col("v"))
    )
    assert frame.to_series().to_list() == ["张三", "张三", "张三", "AB"]


# ASCII, CJK (with the compatibility ideographs NFKC maps), full-width forms, white space
_TEXT = st.text(
    st.one_of(
        st.characters(max_codepoint=0x7F),
        st.characters(min_codepoint=0x4DFE, max_codepoint=0x4E02),
        st.characters(min_codepoint=0x9FFD, max_codepoint=0xA001),
        st.characters(min_codepoint=0xF900, max_codepoint=0xF910),
        st.characters(min_codepoint=0xFF01, max_codepoint=0xFF5E),
        st.sampled_from(["\u3000", "\u00a0", "\u2460", "\t"]),
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_TEXT, min_size=1, max_size=20))
def test_folding_skips_nfkc_only_where_nfkc_changes_nothing(values):
    frame = pl.DataFrame({"v": values})
    always = pl.col("v").str.normalize("NFKC").str.replace_all(r"\s+", "")  # no fast path
    assert frame.select(folded(pl.col("v"))).equals(frame.select(always))
    # and NFKC is Python's
    nfkc = [unicodedata.normalize("NFKC", v) for v in values]
    assert frame.select(pl.col("v").str.normalize("NFKC")).to_series().to_list() == nfkc
