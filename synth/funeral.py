"""The funeral homes' records (殡葬): most deaths of the register seen first by a funeral
home, some deaths the register never learns of, body donations without a cremation, the
惠民殡葬 waiver for most covered people, and records delivered a month or two late.

Each record carries the period whose folder delivers it (`delivered`); a record is written
in that period's delivery only (a first, historical load takes everything up to it).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from synth.city import EPOCH, HORIZON, City, _as_dates, _days
from synth.plant import Planted

RECORD_COLUMNS = {
    "pid": pl.Int64,
    "case_no": pl.String,
    "death_date": pl.Date,
    "cremation_date": pl.Date,
    "funeral_home": pl.String,
    "certificate_no": pl.String,
    "waived": pl.String,
    "waived_fen": pl.Int64,
    "delivered": pl.String,
}
HOMES = ["宿迁市殡仪馆", "沭阳县殡仪馆", "泗阳县殡仪馆", "泗洪县殡仪馆"]
WAIVER_FEN = 120_000  # the basic funeral-service fees the city waives (a synthetic figure)


def _delivered(day: pl.Expr, lag: pl.Expr) -> pl.Expr:
    return day.dt.month_start().dt.offset_by(pl.format("{}mo", lag)).dt.strftime("%Y-%m")


def background(city: City) -> pl.DataFrame:
    """Records for the background city's deaths, drawn once per seed.

    Nine in ten deaths of the register (hukou 死亡, dated on deregistration) reach a funeral
    home 3 to 40 days before that date; a few people die with only a funeral record (the
    register never learns: they stay 正常 in hukou)."""
    rng = np.random.default_rng([city.seed, 7])
    people = city.persons.filter(pl.col("pid") < 1_000_000_000)
    registered = people.filter(
        (pl.col("event") == "死亡") & (pl.col("event_date") >= dt.date(2024, 1, 1))
    )
    registered = registered.filter(pl.Series(rng.random(registered.height) < 0.9))
    ahead = rng.integers(3, 41, size=registered.height)
    registered = registered.select(
        "pid", death_date=pl.col("event_date") - pl.duration(days=pl.Series(ahead))
    )
    age = (pl.lit(EPOCH) - pl.col("birth")).dt.total_days() / 365.25
    unseen = people.filter(pl.col("event").is_null() & (age >= 60))
    unseen = unseen.filter(pl.Series(rng.random(unseen.height) < 0.004))
    unseen = unseen.select(
        "pid", death_date=_as_dates(_days(rng, dt.date(2024, 1, 1), HORIZON, unseen.height))
    )
    deaths = pl.concat([registered, unseen]).sort("pid")
    n = deaths.height
    covered = (
        city.assistance.filter(pl.col("category").is_in(["低保", "特困"]))
        .select("pid")
        .unique()
        .with_columns(covered=pl.lit(True))
    )
    deaths = deaths.join(covered, on="pid", how="left").with_columns(
        pl.col("covered").fill_null(False)
    )
    donated = pl.Series(rng.random(n) < 0.01)
    waived = pl.when(pl.col("covered")).then(pl.Series(rng.random(n) < 0.9)).otherwise(False)
    lag = pl.Series(rng.choice(3, size=n, p=[0.7, 0.25, 0.05]))
    return deaths.select(
        "pid",
        case_no=pl.format("BZ{}", pl.col("pid").cast(pl.String).str.zfill(10)),
        death_date="death_date",
        cremation_date=pl.when(donated)
        .then(None)
        .otherwise(pl.col("death_date") + pl.duration(days=pl.Series(rng.integers(1, 5, size=n)))),
        funeral_home=pl.Series(rng.choice(np.array(HOMES), size=n)),
        certificate_no=pl.when(pl.Series(rng.random(n) < 0.6)).then(
            pl.format("SW{}", pl.col("pid").cast(pl.String))
        ),
        waived=pl.when(waived).then(pl.lit("是")).otherwise(pl.lit("否")),
        waived_fen=pl.when(waived).then(WAIVER_FEN).otherwise(0),
        delivered=_delivered(pl.col("death_date"), lag),
    ).cast(RECORD_COLUMNS)


def delivery(city: City, planted: Planted, period: str, backfill: bool) -> pl.DataFrame:
    """The records a period's folder delivers (with `backfill`, every record up to it)."""
    records = pl.concat([background(city), pl.DataFrame(planted.funerals, schema=RECORD_COLUMNS)])
    delivered = pl.col("delivered") <= period if backfill else pl.col("delivered") == period
    return records.filter(delivered)
