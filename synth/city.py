"""The background city: households, people and their life events, certificates, assistance.

Everything is drawn once per (seed, scale) on a fixed timeline (2025-01 to
2027-12), so every period's snapshot is a view of the same evolving city.
Vectorised with numpy: a city of 5.9 million people is a few array operations.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

from synth import idcard, names, places

EPOCH = dt.date(2025, 1, 1)
HORIZON = dt.date(2027, 12, 31)
DAY0 = np.datetime64("1970-01-01")


@dataclass(frozen=True)
class Scale:
    persons: int
    settlements_per_person_year: float
    cohort: int  # planted cases per template per month
    repairs: int  # records of the identity-repair evaluation set (synth.plant_repair)


SCALES = {
    "tiny": Scale(persons=3_000, settlements_per_person_year=2.0, cohort=1, repairs=44),
    "small": Scale(persons=59_000, settlements_per_person_year=2.0, cohort=2, repairs=550),
    "quarter": Scale(persons=1_475_000, settlements_per_person_year=2.0, cohort=3, repairs=1650),
    "half": Scale(persons=2_950_000, settlements_per_person_year=2.0, cohort=3, repairs=2750),
    "city": Scale(persons=5_900_000, settlements_per_person_year=2.0, cohort=3, repairs=4400),
}


@dataclass
class City:
    persons: pl.DataFrame
    households: pl.DataFrame
    certificates: pl.DataFrame
    assistance: pl.DataFrame
    seed: int
    scale: Scale


def _days(rng: np.random.Generator, start: dt.date, end: dt.date, n: int) -> np.ndarray:
    lo, hi = (np.datetime64(start) - DAY0).astype(int), (np.datetime64(end) - DAY0).astype(int)
    return rng.integers(lo, hi + 1, size=n)


def _as_dates(days: np.ndarray) -> pl.Series:
    return pl.Series(days.astype(np.int32)).cast(pl.Date)


def build(seed: int, scale: Scale) -> City:
    rng = np.random.default_rng([seed, 1])
    town_list = places.towns()
    persons, households = _people(rng, scale.persons, town_list)
    certificates = _certificates(rng, persons)
    assistance = _assistance(rng, persons, households)
    return City(persons, households, certificates, assistance, seed, scale)


def _people(rng, target: int, town_list) -> tuple[pl.DataFrame, pl.DataFrame]:
    n_hh = max(1, round(target / 2.9))
    counties = np.array(list(places.COUNTY_WEIGHTS))
    weights = np.array(list(places.COUNTY_WEIGHTS.values()))
    hh_county = rng.choice(counties, size=n_hh, p=weights / weights.sum())
    by_county: dict[str, list[str]] = {}
    for code, county, _ in town_list:
        by_county.setdefault(county, []).append(code)
    hh_town = np.empty(n_hh, dtype="U9")
    for county, codes in by_county.items():
        mask = hh_county == county
        hh_town[mask] = rng.choice(np.array(codes), size=int(mask.sum()))

    head_age = rng.integers(22, 86, size=n_hh)
    has_spouse = rng.random(n_hh) < np.where(head_age < 75, 0.8, 0.55)
    young = head_age < 60
    n_children = np.where(
        young,
        rng.choice(4, size=n_hh, p=[0.2, 0.35, 0.35, 0.1]),
        rng.choice(4, size=n_hh, p=[0.6, 0.25, 0.1, 0.05]),
    )
    n_parents = np.where(head_age < 55, rng.choice(3, size=n_hh, p=[0.78, 0.1, 0.12]), 0)

    # member rows: 0 head, 1 spouse, 2 child, 3 parent
    roles = [np.zeros(n_hh, dtype=np.int8), np.ones(int(has_spouse.sum()), dtype=np.int8)]
    hh_index = [np.arange(n_hh), np.nonzero(has_spouse)[0]]
    child_hh = np.repeat(np.arange(n_hh), n_children)
    parent_hh = np.repeat(np.arange(n_hh), n_parents)
    roles += [np.full(child_hh.size, 2, dtype=np.int8), np.full(parent_hh.size, 3, dtype=np.int8)]
    hh_index += [child_hh, parent_hh]
    role = np.concatenate(roles)
    hh = np.concatenate(hh_index)
    n = role.size

    head_male = rng.random(n_hh) < 0.72
    sex_male = np.where(
        role == 0,
        head_male[hh],
        np.where(role == 1, ~head_male[hh], rng.random(n) < 0.51),
    )
    # parents: first male, second female
    parent_rank = np.zeros(n, dtype=np.int8)
    if parent_hh.size:
        first = np.ones(parent_hh.size, dtype=bool)
        first[1:] = parent_hh[1:] != parent_hh[:-1]
        parent_rank[role == 3] = np.where(first, 0, 1)
        sex_male[role == 3] = np.where(first, True, False)

    age_at_epoch = np.select(
        [role == 0, role == 1, role == 2],
        [
            head_age[hh],
            np.clip(head_age[hh] + rng.integers(-5, 4, size=n), 20, 95),
            head_age[hh] - rng.integers(22, 38, size=n),
        ],
        default=np.clip(head_age[hh] + rng.integers(22, 32, size=n), 0, 100),
    )
    epoch_day = (np.datetime64(EPOCH) - DAY0).astype(int)
    birth_day = epoch_day - age_at_epoch * 365 - rng.integers(0, 365, size=n)
    # children with negative age are born during the timeline (births); drop those after it
    horizon_day = (np.datetime64(HORIZON) - DAY0).astype(int)
    keep = birth_day <= horizon_day
    role, hh, sex_male, birth_day, parent_rank = (
        role[keep],
        hh[keep],
        sex_male[keep],
        birth_day[keep],
        parent_rank[keep],
    )
    n = role.size

    local = rng.random(n) < 0.9
    region = np.where(
        local, hh_town[hh].astype("U6"), rng.choice(np.array(places.OTHER_REGIONS), size=n)
    ).astype("U6")
    birth_str = np.datetime_as_string(birth_day.astype("datetime64[D]"), unit="D")
    birth8 = np.char.replace(birth_str, "-", "")
    frame = pl.DataFrame({"region": region, "birth8": birth8, "male": sex_male})
    # unique sequence numbers per (region, birth date, sex); background stays below 900
    rank = (
        frame.select(pl.int_range(pl.len()).over("region", "birth8", "male")).to_series().to_numpy()
    )
    seq = rank * 2 + np.where(sex_male, 1, 2)
    seq = np.minimum(seq, 899 - (~sex_male).astype(int))
    body = np.char.add(np.char.add(region, birth8), np.char.zfill(seq.astype("U3"), 3))
    id18 = idcard.with_check(body)

    surname_hh = names.draw_surnames(rng, n_hh)
    spouse_surname = names.draw_surnames(rng, n)
    own_surname = names.draw_surnames(rng, n)
    surname = np.select(
        [role == 0, role == 1, role == 2],
        [surname_hh[hh], spouse_surname, surname_hh[hh]],
        default=own_surname,
    )
    person_name = np.char.add(surname, names.draw_given(rng, n))

    relation = np.select(
        [role == 0, role == 1, (role == 2) & sex_male, role == 2, parent_rank == 0],
        ["户主", "配偶", "子", "女", "父亲"],
        default="母亲",
    )
    # life events: death, move-out, missing, in custody; at most one per person
    age_years = (epoch_day - birth_day) / 365.25
    p_death = np.select([age_years < 60, age_years < 80], [0.004, 0.03], default=0.12)
    u = rng.random(n)
    event = np.full(n, "", dtype="U4")
    event[u < p_death] = "死亡"
    event[(u >= p_death) & (u < p_death + 0.025)] = "迁出"
    event[(u >= p_death + 0.025) & (u < p_death + 0.0255)] = "失踪"
    adult = age_years >= 18
    event[(u >= p_death + 0.0255) & (u < p_death + 0.0275) & adult] = "服刑在押"
    event_day = _days(rng, dt.date(2021, 1, 1), HORIZON, n)
    event_day = np.maximum(event_day, birth_day + 1)

    persons = pl.DataFrame(
        {
            "pid": np.arange(n, dtype=np.int64),
            "id18": id18,
            "name": person_name,
            "sex": np.where(sex_male, "男", "女"),
            "birth": _as_dates(birth_day),
            "hh": hh.astype(np.int64),
            "relation": relation,
            "event": event,
            "event_date": _as_dates(event_day),
        }
    ).with_columns(
        event=pl.col("event").replace("", None),
        event_date=pl.when(pl.col("event") != "").then(pl.col("event_date")),
    )
    # parents' identity numbers: filled for some children (the rest found via 户主/配偶)
    heads = persons.filter(pl.col("relation").is_in(["户主", "配偶"]))
    fathers = (
        heads.filter(pl.col("sex") == "男")
        .group_by("hh")
        .agg(pl.col("id18").first().alias("father_id18"))
    )
    mothers = (
        heads.filter(pl.col("sex") == "女")
        .group_by("hh")
        .agg(pl.col("id18").first().alias("mother_id18"))
    )
    fill = pl.Series(rng.random(n) < 0.35)
    persons = (
        persons.with_columns(_fill=fill)
        .join(fathers, on="hh", how="left")
        .join(mothers, on="hh", how="left")
        .with_columns(
            father_id18=pl.when(pl.col("relation").is_in(["子", "女"]) & pl.col("_fill")).then(
                "father_id18"
            ),
            mother_id18=pl.when(pl.col("relation").is_in(["子", "女"]) & pl.col("_fill")).then(
                "mother_id18"
            ),
        )
        .drop("_fill")
        .sort("pid")
    )
    village = rng.choice(np.array(places.VILLAGES), size=n_hh)
    households = pl.DataFrame(
        {
            "hh": np.arange(n_hh, dtype=np.int64),
            "town_code": hh_town,
            "household_no": np.char.add(hh_town, np.char.zfill(np.arange(n_hh).astype("U7"), 7)),
            "village": np.char.add(village, "庄村"),
            "house_no": rng.integers(1, 300, size=n_hh),
        }
    )
    return persons, households


def _certificates(rng, persons: pl.DataFrame) -> pl.DataFrame:
    n = persons.height
    holders = np.nonzero(rng.random(n) < 0.034)[0]
    k = holders.size
    category = rng.choice(
        np.array(["视力", "听力", "言语", "肢体", "智力", "精神", "多重"]),
        size=k,
        p=[0.12, 0.2, 0.02, 0.42, 0.08, 0.1, 0.06],
    )
    grade = rng.choice(
        np.array(["一级", "二级", "三级", "四级"]), size=k, p=[0.06, 0.12, 0.3, 0.52]
    )
    state = rng.choice(np.array(["有效", "注销", "过期"]), size=k, p=[0.9, 0.05, 0.05])
    severe = np.isin(grade, ["一级", "二级"]) | (
        (grade == "三级") & np.isin(category, ["智力", "精神"])
    )
    care = np.where(severe & (rng.random(k) < 0.95), "是", "否")
    living = np.where(rng.random(k) < 0.5, "是", "否")  # background: independent of assistance
    return pl.DataFrame(
        {
            "pid": persons["pid"].to_numpy()[holders],
            "category": category,
            "grade": grade,
            "issue_date": _as_dates(_days(rng, dt.date(2008, 1, 1), HORIZON, k)),
            "state": state,
            "living": living,
            "care": care,
        }
    )


def _assistance(rng, persons: pl.DataFrame, households: pl.DataFrame) -> pl.DataFrame:
    """Households enrolled in the low-income database, one row per member."""
    n_hh = households.height
    chosen = np.nonzero(rng.random(n_hh) < 0.02)[0]
    k = chosen.size
    category = rng.choice(
        np.array(["低保", "低保边缘", "特困", "支出型困难"]), size=k, p=[0.58, 0.27, 0.09, 0.06]
    )
    income = np.select(
        [category == "低保", category == "低保边缘", category == "特困"],
        [
            rng.integers(0, 80_000, size=k),
            rng.integers(95_000, 135_000, size=k),
            rng.integers(0, 50_000, size=k),
        ],
        default=rng.integers(100_000, 250_000, size=k),
    )
    enrol = _days(rng, dt.date(2015, 1, 1), HORIZON, k)
    stops = rng.random(k) < 0.15
    stop = np.where(stops, np.maximum(enrol + 180, _days(rng, EPOCH, HORIZON, k)), -1)
    cases = pl.DataFrame(
        {
            "hh": chosen.astype(np.int64),
            "case_id": np.char.add("MZ", np.char.zfill(np.arange(k).astype("U8"), 8)),
            "category": category,
            "income_fen": income,
            "enrol_date": _as_dates(enrol),
            "stop_date": _as_dates(stop),
            "review_delay_days": rng.integers(0, 20, size=k),
        }
    ).with_columns(stop_date=pl.when(pl.lit(pl.Series(stops))).then("stop_date"))
    members = persons.join(cases, on="hh", how="inner")
    # a member's assistance stops the month after death or move-out
    lapse = pl.col("event").is_in(["死亡", "迁出"])
    members = members.with_columns(
        stop_date=pl.when(lapse & (pl.col("event_date") >= pl.col("enrol_date")))
        .then(pl.min_horizontal(pl.col("stop_date"), pl.col("event_date").dt.offset_by("1mo")))
        .otherwise(pl.col("stop_date")),
    ).filter(pl.col("event").is_null() | (pl.col("event_date") >= pl.col("enrol_date")))
    m = members.height
    age = ((pl.lit(EPOCH) - pl.col("birth")).dt.total_days() / 365.25).alias("age")
    members = members.with_columns(age).with_columns(
        applicant_relation=pl.col("relation").replace_strict(
            {
                "户主": "本人",
                "配偶": "配偶",
                "子": "子女",
                "女": "子女",
                "父亲": "父母",
                "母亲": "父母",
            },
            default="其他",
        ),
        work_ability=pl.when(pl.col("age").is_between(16, 59))
        .then(pl.Series(rng.choice(np.array(["有", "部分", "无"]), size=m, p=[0.55, 0.25, 0.2])))
        .otherwise(pl.lit("无")),
        self_care=pl.Series(
            rng.choice(np.array(["全自理", "半自理", "全护理"]), size=m, p=[0.8, 0.14, 0.06])
        ),
    )
    benefit = (
        pl.when(pl.col("category") == "低保")
        .then(pl.max_horizontal(90_000 - pl.col("income_fen"), 10_000))
        .when(pl.col("category") == "特困")
        .then(pl.lit(120_000))
        .when(pl.col("category") == "支出型困难")
        .then(pl.lit(20_000))
        .otherwise(pl.lit(0))
    )
    size = pl.len().over("hh")
    able = (
        (pl.col("age").is_between(16, 59) & pl.col("work_ability").is_in(["有", "部分"]))
        .any()
        .over("hh")
    )
    return members.select(
        "pid",
        "case_id",
        "category",
        "applicant_relation",
        "enrol_date",
        "stop_date",
        benefit.alias("benefit_fen"),
        size.alias("household_size"),
        "income_fen",
        "work_ability",
        "self_care",
        pl.when(able).then(6).otherwise(12).alias("review_months"),
        "review_delay_days",
        pl.lit(None, dtype=pl.Date).alias("fixed_last_review"),
    )
