"""The scoring model: Fellegi-Sunter in Splink (DuckDB backend), its comparisons on the forms
`repair.names` and `repair.digits` derive. u-probabilities come from random pairs of the
register, m-probabilities from expectation-maximisation on the candidate pairs: the city's
own data, no labels. The fitted model is a JSON document, stored with a version.
"""

from __future__ import annotations

import logging
import math

import duckdb
import polars as pl
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule

# Both sides carry the same columns (Splink stacks them): the record side's `sex` is read
# from its number's digits, the register side's `other_households` is empty.
COLUMNS = [
    "unique_id",
    "id17",
    "id_valid",
    "id17_swapped",
    "birth8",
    "birth8_swapped",
    "sex",
    "name_clean",
    "name_simple",
    "name_sound",
    "name_sounds",
    "name_latin",
    "town_code",
    "county_code",
    "village",
    "household_no",
    "other_households",
]
RECORDS, REGISTER = "a_records", "b_register"
BIRTHDAY = 1 / (
    80 * 365
)  # two people of the city sharing a birth date  # Splink puts the first on the left


def _same_length_hamming(col: str, distance: int) -> str:
    return (
        f"CASE WHEN length({col}_l) = length({col}_r) THEN hamming({col}_l, {col}_r) END "
        f"= {distance}"
    )


HOMOPHONE = (
    "len(name_sounds_l) = len(name_sounds_r) AND list_bool_and(list_transform("
    "range(1, len(name_sounds_l) + 1), LAMBDA i : len(list_intersect("
    "string_split(name_sounds_l[i], '|'), string_split(name_sounds_r[i], '|'))) > 0))"
)
# record-side lists are non-empty only on the left; the count is of the household's other
# members whose 户号 is this candidate's
SHARED = (  # (the first term names both columns outside the lambdas: Splink reads them there)
    "coalesce(household_no_l, household_no_r, '') <> '' AND "
    "len(list_filter(other_households_l, LAMBDA x : x = household_no_r))"
    " + len(list_filter(other_households_r, LAMBDA x : x = household_no_l))"
)


def _level(
    creator, label: str, m: float, u: float, *, fixed_m: bool = False, fixed_u: bool = False
):
    """A level with starting values: random sampling replaces u, and EM m, where the data
    shows the level (a level too rare for random pairs, two people sharing a number, keeps
    its u). `fixed_m`, `fixed_u`: stated values, kept (see docs/decisions.md)."""
    return creator.configure(
        label_for_charts=label,
        m_probability=m,
        u_probability=u,
        fix_m_probability=fixed_m,
        fix_u_probability=fixed_u,
    )


def _else(m: float, u: float, *, fixed_m: bool = False):
    return cll.ElseLevel().configure(m_probability=m, u_probability=u, fix_m_probability=fixed_m)


def comparisons() -> list:
    custom = cll.CustomLevel
    # The number's m are the error model's: how often a record's number is typed right, one
    # digit wrong ... EM on candidate pairs mistakes a family (same 户号, same town) for a
    # person and would teach that a right person's number is usually unrelated.
    number = cl.CustomComparison(
        output_column_name="number",
        comparison_levels=[
            cll.NullLevel("id17"),
            _level(cll.ExactMatchLevel("id17"), "exact", 0.6, 1e-8, fixed_m=True),
            _level(custom(_same_length_hamming("id17", 1)), "one_digit", 0.2, 1e-7, fixed_m=True),
            _level(
                custom("damerau_levenshtein(id17_l, id17_r) = 1"),
                "transposed",
                0.08,
                1e-8,
                fixed_m=True,
            ),
            _level(
                custom("id17_swapped_l = id17_r OR id17_l = id17_swapped_r"),
                "day_month_swapped",
                0.04,
                1e-8,
                fixed_m=True,
            ),
            _level(custom(_same_length_hamming("id17", 2)), "two_digits", 0.03, 1e-6, fixed_m=True),
            # a damaged number far from the candidate's still carries the birth date; a valid
            # one far from it is almost always somebody else's real number (a typo makes a
            # valid number one time in eleven, and then one digit from the right one). The
            # two levels split on the record, not the pair: m is conditional on the record's
            # kind, and u is the same birthday coincidence for both (1 / 80 years of days)
            _level(
                custom("birth8_l = birth8_r AND NOT (id_valid_l AND id_valid_r)"),
                "same_birth_date",
                0.02,
                BIRTHDAY,
                fixed_m=True,
                fixed_u=True,
            ),
            _level(
                custom("birth8_l = birth8_r"),
                "same_birth_date_valid_number",
                0.002,
                BIRTHDAY,
                fixed_m=True,
                fixed_u=True,
            ),
            _else(0.028, 1.0, fixed_m=True),
        ],
    )
    name = cl.CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name_clean"),
            _level(cll.ExactMatchLevel("name_clean"), "exact", 0.7, 3e-4),
            _level(custom("name_simple_l = name_simple_r"), "variant", 0.05, 1e-6),
            _level(
                custom("(name_latin_l OR name_latin_r) AND name_sound_l = name_sound_r"),
                "pinyin_typed",
                0.05,
                1e-7,
            ),
            _level(custom(HOMOPHONE), "homophone", 0.1, 1e-4),
            _level(custom(_same_length_hamming("name_simple", 1)), "one_character", 0.05, 3e-3),
            _level(
                custom("left(name_simple_l, 1) = left(name_simple_r, 1)"), "surname", 0.03, 0.05
            ),
            _else(0.02, 0.95),
        ],
    )
    sex = cl.CustomComparison(
        output_column_name="sex",
        comparison_levels=[
            cll.NullLevel("sex"),
            _level(cll.ExactMatchLevel("sex"), "exact", 0.98, 0.5, fixed_m=True),
            _else(0.02, 0.5, fixed_m=True),
        ],
    )
    # One comparison for where the person lives: the same 户号 implies the same town and
    # village, so counting them apart would count one fact three times.
    place = cl.CustomComparison(
        output_column_name="place",
        comparison_levels=[
            cll.NullLevel("town_code"),
            _level(custom(f"({SHARED}) >= 2"), "household_two_or_more", 0.4, 1e-7),
            _level(custom(f"({SHARED}) = 1"), "household_one", 0.2, 1e-6),
            _level(
                custom("town_code_l = town_code_r AND village_l = village_r"),
                "same_village",
                0.25,
                0.001,
            ),
            _level(cll.ExactMatchLevel("town_code"), "same_town", 0.1, 0.01),
            _level(custom("county_code_l = county_code_r"), "same_county", 0.04, 0.12),
            _else(0.01, 0.87),
        ],
    )
    return [number, name, sex, place]


# Where candidates are looked for (keeps recall: each error leaves at least one intact).
BLOCKING = [
    block_on("id17"),  # the number's own holder
    block_on("county_code", "birth8"),
    CustomRule("l.county_code = r.county_code AND l.birth8_swapped = r.birth8"),
    block_on("county_code", "name_sound"),  # homophones, variants, pinyin-typed names
    block_on("household_no"),  # the household's other members' 户号
]


def settings(prior: float) -> SettingsCreator:
    return SettingsCreator(
        link_type="link_only",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=BLOCKING,
        probability_two_random_records_match=prior,
        retain_intermediate_calculation_columns=True,  # the levels, for the reasons
        retain_matching_columns=True,  # (Splink keeps the levels only with them)
    )


def _linker(con, records: pl.DataFrame, register: pl.DataFrame, model) -> Linker:
    api = DuckDBAPI(connection=con)
    left = api.register(records.select(COLUMNS).to_arrow(), dataset_display_name=RECORDS)
    right = api.register(register.select(COLUMNS).to_arrow(), dataset_display_name=REGISTER)
    return Linker([left, right], model, log_level=logging.ERROR)  # not every EM iteration


def fit(
    records: pl.DataFrame,
    sample: pl.DataFrame,
    candidates: pl.DataFrame,
    prior: float,
    seed: int,
) -> dict:
    """u from random record × register pairs (`sample`: a random part of the register), then
    m of the name and the place by EM on the pairs that share a birth date (pairs not chosen
    for agreeing on either)."""
    with duckdb.connect() as con:
        con.sql("SET threads = 1")  # the same sample every time: fitting is deterministic
        linker = _linker(con, records, sample, settings(prior))
        linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=seed)
        model = linker.misc.save_model_to_json()
    with duckdb.connect() as con:
        con.sql("SET threads = 1")
        linker = _linker(con, records, candidates, model)
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on("county_code", "birth8"),
            fix_u_probabilities=True,
            estimate_without_term_frequencies=True,
        )
        model = linker.misc.save_model_to_json()
    model["probability_two_random_records_match"] = prior
    model.pop("linker_uid", None)  # a random id: the same data must give the same model
    return monotone(model)


def monotone(model: dict) -> dict:
    """No partial agreement weighs more than the agreement above it, less one bit (a
    homophone never outweighs the exact name). Fellegi-Sunter does not order the levels: a
    level rare among random pairs (homophones that are not the same name) gets a large Bayes
    factor, and EM fed by the records' own errors can make it larger than the exact one's."""
    for comparison in model["comparisons"]:
        ceiling = math.inf
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level["m_probability"], level["u_probability"]
            weight = math.log2(m / u)
            if weight > ceiling:
                level["m_probability"] = u * 2**ceiling
                weight = ceiling
            ceiling = weight - 1
    return model


def score_pairs(records: pl.DataFrame, candidates: pl.DataFrame, model: dict) -> pl.DataFrame:
    """Every blocked pair with its comparison levels and match weight (log2 of the prior odds
    times the Bayes factor)."""
    with duckdb.connect() as con:
        linker = _linker(con, records, candidates, model)
        predicted = linker.inference.predict()
        pairs = con.sql(f"SELECT * FROM {predicted.physical_name}").pl()
    return pairs.select(
        pl.col("unique_id_l").alias("lead_id"),
        pl.col("unique_id_r").cast(pl.Int64).alias("person_key"),
        "match_weight",
        *[pl.col(f"gamma_{c}") for c in ("number", "name", "sex", "place")],
    )
