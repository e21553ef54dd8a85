"""The background city's elder services (养老服务): 尊老金 for most people who turned 80,
capability assessments, monthly visits, and the nursing subsidy for covered elderly who
cannot care for themselves; a few payments run on after death.

Each person's draws are fixed for the seed, so consecutive snapshots show one evolving
city; only whether a visit happened is drawn afresh each month.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from synth.city import City
from synth.plant import month_end

SERVICE_COLUMNS = {
    "pid": pl.Int64,
    "service": pl.String,
    "status": pl.String,
    "start_date": pl.Date,
    "stop_date": pl.Date,
    "monthly_fen": pl.Int64,
    "last_date": pl.Date,
    "grade": pl.String,
}
GRADES = ["能力完好", "轻度失能", "中度失能", "重度失能", "完全失能"]
# a planted 最近日期 given relative to the period the snapshot is taken for
PERIOD_START, PREVIOUS_MONTH_END, AFTER_AS_OF = "period_start", "previous_month_end", "after_as_of"


def allowance_fen(age: pl.Expr) -> pl.Expr:
    """The shipped bands (config/doudi.toml): 80-89 50, 90-99 100, 100+ 300 yuan a month."""
    return pl.when(age >= 100).then(30_000).when(age >= 90).then(10_000).otherwise(5_000)


def _age(birth: pl.Expr, day: dt.date) -> pl.Expr:
    return (
        pl.lit(day.year)
        - birth.dt.year()
        - ((pl.lit(day.month * 100 + day.day)) < birth.dt.month() * 100 + birth.dt.day()).cast(
            pl.Int32
        )
    )


def _month_start(day: pl.Expr, months_after: pl.Expr | int) -> pl.Expr:
    return day.dt.month_start().dt.offset_by(pl.format("{}mo", months_after))


def background(city: City, persons: pl.DataFrame, period: str) -> pl.DataFrame:
    """The background people's service rows as the snapshot of `period` shows them."""
    end = month_end(period)
    people = persons.filter(pl.col("pid") < 1_000_000_000)
    n = people.height
    rng = np.random.default_rng([city.seed, 5])
    draws = pl.DataFrame(
        {
            "takes_allowance": rng.random(n) < 0.93,
            "allowance_lag": rng.integers(1, 4, size=n),
            "paid_after_death": rng.random(n) < 0.03,
            "assessed": rng.random(n),
            "assessed_day": rng.integers(0, 365, size=n),
            "grade": rng.choice(np.array(GRADES), size=n, p=[0.45, 0.25, 0.15, 0.1, 0.05]),
            "visit_draw": rng.random(n),
            "takes_care_subsidy": rng.random(n) < 0.85,
        }
    )
    month = np.random.default_rng([city.seed, 6, end.year, end.month])
    people = pl.concat([people, draws], how="horizontal").with_columns(
        visited_now=pl.Series(month.random(n) < 0.92),
        visit_day=pl.Series(month.integers(1, end.day + 1, size=n)),
        age=_age(pl.col("birth"), end),
        gone=pl.col("event").is_not_null() & (pl.col("event_date") <= end),
    )
    # the visit programme's clients: nearly everyone aged 60+ living alone or only with the
    # elderly (the caseworkers know them), and a few others
    at_home = people.filter(~pl.col("gone") & (pl.col("birth") <= end))
    households = at_home.group_by("hh").agg(size=pl.len(), younger=(pl.col("age") < 60).sum())
    people = people.join(households, on="hh", how="left").with_columns(
        visited_programme=pl.col("visit_draw")
        < pl.when(pl.col("younger") == 0).then(0.95).otherwise(0.02)
    )
    elderly = people.filter(pl.col("age") >= 60)
    return pl.concat(
        [
            _allowance(elderly, end),
            _assessments(elderly, end),
            _visits(elderly, end),
            _care_subsidy(city, elderly, end),
        ]
    ).sort("pid", "service")


def _rows(people: pl.DataFrame, service: str, **values: pl.Expr | str) -> pl.DataFrame:
    """`service` rows of `people`: the columns given, the others blank."""
    blank = {c: pl.lit(None) for c in SERVICE_COLUMNS if c not in ("pid", "service")}
    return people.select("pid", service=pl.lit(service), **(blank | values)).cast(SERVICE_COLUMNS)


def _allowance(people: pl.DataFrame, end: dt.date) -> pl.DataFrame:
    start = _month_start(pl.col("birth").dt.offset_by("80y"), pl.col("allowance_lag"))
    stop = _month_start(pl.col("event_date"), 1)
    rows = people.filter(pl.col("takes_allowance")).with_columns(start_date=start)
    rows = rows.filter(
        (pl.col("start_date") <= end)
        & (pl.col("event_date").is_null() | (pl.col("event_date") >= pl.col("start_date")))
    )
    stopped = pl.col("gone") & ~(pl.col("paid_after_death") & (pl.col("event") == "死亡"))
    return _rows(
        rows,
        "尊老金",
        status=pl.when(stopped).then(pl.lit("停发")).otherwise(pl.lit("在发")),
        start_date="start_date",
        stop_date=pl.when(stopped).then(pl.min_horizontal(stop, pl.lit(end))),
        monthly_fen=allowance_fen(pl.col("age")),
    )


def _assessments(people: pl.DataFrame, end: dt.date) -> pl.DataFrame:
    """Assessed yearly from a day in 2022 (three in four people 80+, one in twenty younger)."""
    share = pl.when(pl.col("age") >= 80).then(0.75).otherwise(0.05)
    first = pl.lit(dt.date(2022, 1, 1)) + pl.duration(days=pl.col("assessed_day"))
    years = (pl.lit(end) - first).dt.total_days() // 366
    rows = people.filter((pl.col("assessed") < share) & ~pl.col("gone"))
    return _rows(
        rows, "能力评估", last_date=first.dt.offset_by(pl.format("{}y", years)), grade="grade"
    )


def _visits(people: pl.DataFrame, end: dt.date) -> pl.DataFrame:
    """Visited this month (most), else last seen on the 15th of the month before."""
    rows = people.filter(pl.col("visited_programme") & ~pl.col("gone"))
    this_month = pl.lit(end.replace(day=1)) + pl.duration(days=pl.col("visit_day") - 1)
    before = pl.lit(end.replace(day=1) - dt.timedelta(days=1)).dt.replace(day=15)
    visited = pl.when(pl.col("visited_now")).then(this_month).otherwise(before)
    return _rows(rows, "探访关爱", last_date=visited)


def _care_subsidy(city: City, people: pl.DataFrame, end: dt.date) -> pl.DataFrame:
    """The nursing subsidy for most covered members who cannot care for themselves."""
    members = city.assistance.filter(
        pl.col("self_care").is_in(["半自理", "全护理"])
        & (pl.col("enrol_date") <= end)
        & (pl.col("stop_date").is_null() | (pl.col("stop_date") > end))
    ).select("pid", "enrol_date", "self_care")
    rows = people.filter(~pl.col("gone") & pl.col("takes_care_subsidy")).join(members, on="pid")
    return _rows(
        rows.unique("pid", keep="first"),
        "护理补贴",
        status=pl.lit("在发"),
        start_date=_month_start(pl.col("enrol_date"), 1),
        monthly_fen=pl.when(pl.col("self_care") == "全护理").then(30_000).otherwise(20_000),
    )


def planted(rows: list[dict], period: str) -> pl.DataFrame:
    """The planted service rows as the snapshot of `period` shows them: rows begin with their
    start (or their assessment) and a visit given relative to the period is dated in it."""
    end = month_end(period)
    start = end.replace(day=1)
    relative = {
        PERIOD_START: start,
        PREVIOUS_MONTH_END: start - dt.timedelta(days=1),
        AFTER_AS_OF: end + dt.timedelta(days=3),
    }
    out = []
    for row in rows:
        if row["since"] and period < row["since"]:
            continue
        last = relative.get(row["last_date"], row["last_date"])
        begun = row["start_date"] or last
        if begun is not None and begun > end and row["last_date"] not in relative:
            continue
        stop = row["stop_date"] if row["stop_date"] and row["stop_date"] <= end else None
        status = row["status"]
        if status == "停发" and stop is None and row["stop_date"]:
            status = "在发"  # stopped only later
        out.append({**row, "last_date": last, "stop_date": stop, "status": status})
    return pl.DataFrame(out, schema=SERVICE_COLUMNS | {"since": pl.String}).drop("since")
