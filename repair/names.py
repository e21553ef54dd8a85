"""The forms of a name that identity repair compares: simplified characters (traditional and
variant forms folded by OpenCC), the pronunciation (pypinyin, every reading of a polyphone,
a surname read as a surname) and a name typed in pinyin.

Edit distance on characters calls 张伟/张玮 different; by pronunciation they are the same
name, and the register's many same-named people are then told apart by the other evidence.
"""

from __future__ import annotations

import functools

import opencc
import polars as pl
from pypinyin import Style, lazy_pinyin, pinyin

from ingest.values import normalise_name

# Polyphonic characters whose reading as a surname is not their everyday one (曾 is zēng as
# a surname, céng in 曾经). pypinyin reads single characters out of context.
SURNAME_READINGS = {
    "曾": "zeng",
    "单": "shan",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "朴": "piao",
    "查": "zha",
    "盖": "ge",
    "召": "shao",
    "缪": "miao",
    "乐": "yue",
    "覃": "qin",
    "翟": "zhai",
    "员": "yun",
    "种": "chong",
    "秘": "bi",
    "折": "she",
    "尉": "yu",
    "万": "wan",
    "洗": "xian",
    "句": "gou",
    "繁": "po",
    "黑": "he",
    "宓": "mi",
    "蕃": "pi",
}
LATIN = r"^[A-Za-z ·.\-]+$"  # a name typed in pinyin (spaces and dots between syllables)


@functools.cache
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def simplified_char(char: str) -> str:
    return _converter().convert(char)


def readings(char: str) -> list[str]:
    """Every toneless reading of one character (a non-Chinese character reads as itself)."""
    found = pinyin(char, style=Style.NORMAL, heteronym=True)[0]
    return sorted({r.lower() for r in found})


def common_reading(char: str, *, surname: bool = False) -> str:
    if surname and char in SURNAME_READINGS:
        return SURNAME_READINGS[char]
    return lazy_pinyin(char, style=Style.NORMAL)[0].lower()


def char_table(chars: list[str]) -> pl.DataFrame:
    """Per character: simplified form, everyday and surname reading, every reading."""
    rows = []
    for char in chars:
        simple = simplified_char(char)
        rows.append(
            {
                "char": char,
                "simple": simple,
                "sound": common_reading(simple),
                "surname_sound": common_reading(simple, surname=True),
                "all_sounds": "|".join(
                    sorted({*readings(simple), common_reading(simple, surname=True)})
                ),
            }
        )
    return pl.DataFrame(
        rows,
        schema={
            "char": pl.String,
            "simple": pl.String,
            "sound": pl.String,
            "surname_sound": pl.String,
            "all_sounds": pl.String,
        },
    )


def latin_key(name: pl.Expr) -> pl.Expr:
    """A pinyin-typed name as its letters only, lower case ("Zhang Wei" -> "zhangwei")."""
    return name.str.to_lowercase().str.replace_all(r"[^a-z]", "")


def name_forms(frame: pl.DataFrame, column: str = "name", *, full: bool = True) -> pl.DataFrame:
    """Add `name_clean`, `name_latin`, `name_sound` (the pronunciation, no separators) and, when
    `full`, `name_simple` and `name_sounds` (per character, every reading joined by '|').

    Computed once per distinct name (a city register has far fewer names than people).
    """
    clean = frame.select(normalise_name(pl.col(column)).alias("name_clean")).to_series()
    frame = frame.with_columns(clean)
    names = frame.select("name_clean").drop_nulls().unique()
    latin = names.filter(pl.col("name_clean").str.contains(LATIN))
    chinese = names.filter(~pl.col("name_clean").str.contains(LATIN))
    chars = (
        chinese.with_columns(char=pl.col("name_clean").str.split(""))
        .with_row_index("_n")
        .explode("char")
        .with_columns(position=pl.int_range(pl.len()).over("_n"))
    )
    table = char_table(chars["char"].unique().sort().to_list())
    chars = chars.join(table, on="char", how="left").with_columns(
        sound=pl.when(pl.col("position") == 0).then("surname_sound").otherwise("sound")
    )
    aggregations = [pl.col("sound").str.join("").alias("name_sound")]
    if full:
        aggregations += [
            pl.col("simple").str.join("").alias("name_simple"),
            pl.col("all_sounds").alias("name_sounds"),
        ]
    forms = (
        chars.sort("_n", "position").group_by("name_clean", maintain_order=True).agg(aggregations)
    )
    latin_forms = latin.with_columns(name_sound=latin_key(pl.col("name_clean")))
    if full:
        latin_forms = latin_forms.with_columns(
            name_simple=pl.col("name_clean"),
            name_sounds=pl.lit(None, dtype=pl.List(pl.String)),
        )
    forms = pl.concat([forms, latin_forms.select(forms.columns)])
    return frame.join(forms, on="name_clean", how="left").with_columns(
        name_latin=pl.col("name_clean").str.contains(LATIN).fill_null(False)
    )
