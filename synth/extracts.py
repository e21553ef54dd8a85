"""Render one period's clean extracts (Chinese columns, canonical strings) from the city."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from doudi_core.period import shift
from synth import elder
from synth import funeral as synth_funeral
from synth.city import City
from synth.places import COUNTIES, towns
from synth.plant import Planted, month_end

CATEGORY_DIGIT = {
    n: str(i) for i, n in enumerate(["视力", "听力", "言语", "肢体", "智力", "精神", "多重"], 1)
}
GRADE_DIGIT = {n: str(i) for i, n in enumerate(["一级", "二级", "三级", "四级"], 1)}
DATE_FMT = "%Y-%m-%d"


def _fmt(col: str) -> pl.Expr:
    return pl.col(col).dt.strftime(DATE_FMT)


def _yuan(col: str) -> pl.Expr:
    """Integer fen as a yuan string with two decimals (sign kept)."""
    v = pl.col(col)
    sign = pl.when(v < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.concat_str(
        sign,
        (v.abs() // 100).cast(pl.String),
        pl.lit("."),
        (v.abs() % 100).cast(pl.String).str.zfill(2),
    )


def _with_people(rows: pl.DataFrame, persons: pl.DataFrame, households: pl.DataFrame):
    """Each row's person (number, name, birth) and household town, by `pid`."""
    return rows.join(persons.select("pid", "id18", "name", "hh", "birth"), on="pid").join(
        households.select("hh", "town_code"), on="hh"
    )


def everyone(city: City, planted: Planted) -> tuple[pl.DataFrame, pl.DataFrame]:
    persons = pl.concat([city.persons, pl.DataFrame(planted.persons, schema=city.persons.schema)])
    households = pl.concat(
        [city.households, pl.DataFrame(planted.households, schema=city.households.schema)]
    )
    return persons, households


def hukou(
    persons: pl.DataFrame, households: pl.DataFrame, planted: Planted, period: str
) -> pl.DataFrame:
    end = month_end(period)
    town_names = {code: (county, name) for code, county, name in towns()}
    rows = persons.filter(
        (pl.col("birth") <= end) & ~pl.col("pid").is_in(sorted(planted.hukou_absent))
    )
    rows = rows.join(households, on="hh", how="left")
    happened = pl.col("event").is_not_null() & (pl.col("event_date") <= end)
    address = pl.concat_str(
        pl.col("town_code").replace_strict(
            {c: COUNTIES[v[0]] + v[1] for c, v in town_names.items()}, default=""
        ),
        pl.col("village"),
        pl.col("house_no").cast(pl.String),
        pl.lit("号"),
    )
    return rows.sort("pid").select(
        pl.col("id18").alias("公民身份号码"),
        pl.col("name").alias("姓名"),
        pl.col("sex").alias("性别"),
        _fmt("birth").alias("出生日期"),
        pl.col("household_no").alias("户号"),
        pl.col("relation").alias("与户主关系"),
        pl.col("father_id18").alias("父亲公民身份号码"),
        pl.col("mother_id18").alias("母亲公民身份号码"),
        pl.col("town_code").alias("乡镇街道代码"),
        address.alias("户籍地址"),
        pl.when(happened).then("event").otherwise(pl.lit("正常")).alias("人员状态"),
        pl.when(happened).then(_fmt("event_date")).alias("状态变更日期"),
        pl.col("town_code").str.slice(0, 6).alias("_county"),
    )


def disability(
    city: City, planted: Planted, persons: pl.DataFrame, households: pl.DataFrame, period: str
) -> pl.DataFrame:
    end = month_end(period)
    certs = pl.concat(
        [city.certificates, pl.DataFrame(planted.certificates, schema=city.certificates.schema)]
    )
    rows = (
        certs.filter(pl.col("issue_date") <= end)
        .join(persons.select("pid", "id18", "name", "hh", "birth"), on="pid")
        .filter(pl.col("birth") <= pl.col("issue_date"))
        .join(households.select("hh", "town_code"), on="hh")
    )
    number = pl.concat_str(
        "id18",
        pl.col("category").replace_strict(CATEGORY_DIGIT),
        pl.col("grade").replace_strict(GRADE_DIGIT),
    )
    return rows.sort("pid").select(
        number.alias("残疾人证号"),
        pl.col("id18").alias("公民身份号码"),
        pl.col("name").alias("姓名"),
        pl.col("category").alias("残疾类别"),
        pl.col("grade").alias("残疾等级"),
        _fmt("issue_date").alias("发证日期"),
        pl.col("state").alias("证件状态"),
        pl.col("living").alias("享受困难残疾人生活补贴"),
        pl.col("care").alias("享受重度残疾人护理补贴"),
        pl.col("town_code").alias("乡镇街道代码"),
        pl.col("town_code").str.slice(0, 6).alias("_county"),
    )


def lowincome(
    city: City, planted: Planted, persons: pl.DataFrame, households: pl.DataFrame, period: str
) -> pl.DataFrame:
    end = month_end(period)
    members = pl.concat(
        [city.assistance, pl.DataFrame(planted.assistance, schema=city.assistance.schema)]
    )
    rows = (
        members.filter(pl.col("enrol_date") <= end)
        .join(persons.select("pid", "id18", "name", "hh", "birth"), on="pid")
        .filter(pl.col("birth") <= end)
        .join(households.select("hh", "town_code", "village"), on="hh")
    )
    # background reviews follow the schedule: enrolment + k intervals (+ a few days' delay)
    months_in = (end.year * 12 + end.month) - (
        pl.col("enrol_date").dt.year() * 12 + pl.col("enrol_date").dt.month()
    )
    k = months_in // pl.col("review_months")
    scheduled = pl.col("enrol_date").dt.offset_by(
        pl.format("{}mo", k * pl.col("review_months"))
    ) + pl.duration(days=pl.col("review_delay_days"))
    previous = pl.col("enrol_date").dt.offset_by(
        pl.format("{}mo", (k - 1) * pl.col("review_months"))
    ) + pl.duration(days=pl.col("review_delay_days"))
    background_last = (
        pl.when(scheduled <= end)
        .then(scheduled)
        .when((k - 1 >= 1) & (previous <= end))
        .then(previous)
    )
    last_review = (
        pl.when(pl.col("fixed_last_review").is_not_null())
        .then(pl.when(pl.col("fixed_last_review") <= end).then("fixed_last_review"))
        .otherwise(pl.when(k >= 1).then(background_last))
    )
    stopped = pl.col("stop_date").is_not_null() & (pl.col("stop_date") <= end)
    id_override = pl.col("pid").replace_strict(
        planted.lowincome_id_override, default=None, return_dtype=pl.String
    )
    name_override = pl.col("pid").replace_strict(
        planted.lowincome_name_override, default=None, return_dtype=pl.String
    )
    return rows.sort("case_id", "pid").select(
        pl.col("case_id").alias("家庭编号"),
        pl.coalesce(id_override, "id18").alias("公民身份号码"),
        pl.coalesce(name_override, "name").alias("姓名"),
        pl.col("applicant_relation").alias("与申请人关系"),
        pl.col("category").alias("救助类别"),
        pl.when(stopped).then(pl.lit("停保")).otherwise(pl.lit("在保")).alias("保障状态"),
        _fmt("enrol_date").alias("纳入日期"),
        pl.when(stopped).then(_fmt("stop_date")).alias("停保日期"),
        _yuan("benefit_fen").alias("月保障金额"),
        pl.col("household_size").cast(pl.String).alias("家庭人口数"),
        _yuan("income_fen").alias("家庭月人均收入"),
        pl.col("work_ability").alias("劳动能力"),
        pl.col("self_care").alias("自理能力"),
        last_review.dt.strftime(DATE_FMT).alias("上次核查日期"),
        pl.col("town_code").alias("乡镇街道代码"),
        pl.col("village").alias("村社区"),
        pl.col("town_code").str.slice(0, 6).alias("_county"),
    )


def eldercare(
    city: City, planted: Planted, persons: pl.DataFrame, households: pl.DataFrame, period: str
) -> pl.DataFrame:
    """The elder-services snapshot: the background's services and the planted rows."""
    rows = pl.concat(
        [elder.background(city, persons, period), elder.planted(planted.eldercare, period)]
    )
    rows = _with_people(rows, persons, households)
    return rows.sort("pid", "service").select(
        pl.col("id18").alias("公民身份号码"),
        pl.col("name").alias("姓名"),
        pl.col("service").alias("服务项目"),
        pl.col("status").alias("状态"),
        _fmt("start_date").alias("开始日期"),
        _fmt("stop_date").alias("停发日期"),
        _yuan("monthly_fen").alias("月发放金额"),
        _fmt("last_date").alias("最近日期"),
        pl.col("grade").alias("评估等级"),
        pl.col("town_code").alias("乡镇街道代码"),
        pl.col("town_code").str.slice(0, 6).alias("_county"),
    )


def funeral(
    city: City,
    planted: Planted,
    persons: pl.DataFrame,
    households: pl.DataFrame,
    period: str,
    backfill: bool,
) -> pl.DataFrame:
    """The period's delivery of funeral records (with `backfill`, every record up to it)."""
    rows = synth_funeral.delivery(city, planted, period, backfill)
    rows = _with_people(rows, persons, households)
    return rows.sort("delivered", "case_no").select(
        pl.col("case_no").alias("业务编号"),
        pl.col("id18").alias("逝者公民身份号码"),
        pl.col("name").alias("逝者姓名"),
        _fmt("death_date").alias("死亡日期"),
        _fmt("cremation_date").alias("火化日期"),
        pl.col("funeral_home").alias("殡仪馆"),
        pl.col("certificate_no").alias("死亡证明编号"),
        pl.col("waived").alias("惠民殡葬减免"),
        _yuan("waived_fen").alias("减免金额"),
        pl.col("town_code").str.slice(0, 6).alias("_county"),
    )


# --- medical ----------------------------------------------------------------------

HOSPITALS = {
    "住院": [
        "宿迁市第一人民医院",
        "沭阳县人民医院",
        "泗洪县人民医院",
        "泗阳县人民医院",
        "宿迁市钟吾医院",
    ],
    "门诊慢特病": ["宿迁市第一人民医院", "沭阳县中医院", "泗阳县中医院", "宿豫区人民医院"],
    "普通门诊": [
        "幸福街道社区卫生服务中心",
        "沭城街道社区卫生服务中心",
        "众兴镇卫生院",
        "青阳镇卫生院",
    ],
}


def month_settlements(city: City, persons: pl.DataFrame, month: str) -> pl.DataFrame:
    """Background settlements dated in `month`: deterministic per (seed, month)."""
    y, mo = int(month[:4]), int(month[5:7])
    rng = np.random.default_rng([city.seed, 2, y, mo])
    background = persons.filter(
        (pl.col("pid") < 1_000_000_000) & (pl.col("birth") < dt.date(y, mo, 1))
    )
    n = max(1, round(background.height * city.scale.settlements_per_person_year / 12))
    who = rng.integers(0, background.height, size=n)
    care = rng.choice(np.array(["普通门诊", "门诊慢特病", "住院"]), size=n, p=[0.7, 0.2, 0.1])
    total = np.select(
        [care == "普通门诊", care == "门诊慢特病"],
        [rng.integers(3_000, 60_000, size=n), rng.integers(20_000, 400_000, size=n)],
        default=np.minimum(np.exp(rng.normal(9.3, 0.8, size=n)) * 100, 60_000_000).astype(np.int64),
    )
    fund_share = np.where(
        care == "住院", rng.uniform(0.5, 0.75, size=n), rng.uniform(0.3, 0.6, size=n)
    )
    fund = (total * fund_share).astype(np.int64)
    critical = np.where(
        (care == "住院") & (total > 2_000_000), ((total - 2_000_000) * 0.5).astype(np.int64), 0
    )
    critical = np.minimum(critical, total - fund)
    oop = total - fund - critical
    days_in = month_end(month).day
    day = rng.integers(1, days_in + 1, size=n)
    lag = rng.choice(3, size=n, p=[0.95, 0.04, 0.01])
    hospital = np.array([rng.choice(HOSPITALS[c]) for c in ("住院", "门诊慢特病", "普通门诊")])
    hospital_index = np.select([care == "住院", care == "门诊慢特病"], [0, 1], default=2)
    frame = pl.DataFrame(
        {
            "settlement_id": np.char.add(
                f"{y:04d}{mo:02d}", np.char.zfill(np.arange(n).astype("U9"), 9)
            ),
            "pid": background["pid"].to_numpy()[who],
            "care_type": care,
            "hospital": hospital[hospital_index],
            "settlement_date": [dt.date(y, mo, 1) + dt.timedelta(days=int(d) - 1) for d in day]
            if n < 50_000
            else (np.datetime64(f"{y:04d}-{mo:02d}-01") + (day - 1)).astype("datetime64[D]"),
            "total_fen": total,
            "fund_fen": fund,
            "critical_fen": critical.astype(np.int64),
            "assistance_fen": np.zeros(n, dtype=np.int64),
            "oop_fen": oop,
            "lag": lag,
        }
    ).with_columns(
        pl.col("settlement_date").cast(pl.Date), reverses_id=pl.lit(None, dtype=pl.String)
    )
    # a few reversals (退费冲销), dated a few days later in the same month
    rev = frame.filter(pl.Series(rng.random(n) < 0.005))
    rev = rev.with_columns(
        reverses_id=pl.col("settlement_id"),
        settlement_id=pl.concat_str("settlement_id", pl.lit("R")),
        settlement_date=pl.min_horizontal(
            pl.col("settlement_date") + pl.duration(days=3), pl.lit(month_end(month))
        ),
        **{
            c: -pl.col(c)
            for c in ("total_fen", "fund_fen", "critical_fen", "assistance_fen", "oop_fen")
        },
    )
    return pl.concat([frame, rev])


def medical(
    city: City,
    planted: Planted,
    persons: pl.DataFrame,
    households: pl.DataFrame,
    period: str,
    backfill: bool,
) -> pl.DataFrame:
    """This period's delivery; with `backfill`, also the year before (a first, historical load)."""
    months = [shift(period, -back) for back in range(12 if backfill else 2, -1, -1)]
    frames = []
    for month in months:
        settled = month_settlements(city, persons, month)
        delivered = _add_lag(month, settled)
        keep = (pl.col("delivered") <= period) if backfill else (pl.col("delivered") == period)
        frames.append(settled.with_columns(delivered=delivered).filter(keep).drop("lag"))
    planted_rows = pl.DataFrame(planted.settlements, infer_schema_length=None).with_columns(
        pl.col("settlement_date").cast(pl.Date)
    )
    keep = (
        (pl.col("delivered") <= period)
        & (pl.col("settlement_date") > month_end(period) - dt.timedelta(days=400))
        if backfill
        else pl.col("delivered") == period
    )
    planted_rows = planted_rows.filter(keep).unique(
        "settlement_id", keep="first", maintain_order=True
    )
    planted_rows = planted_rows.with_columns(
        hospital=pl.lit("宿迁市第一人民医院"), delivered=pl.col("delivered")
    )
    columns = [
        "settlement_id",
        "reverses_id",
        "pid",
        "care_type",
        "hospital",
        "settlement_date",
        "total_fen",
        "fund_fen",
        "critical_fen",
        "assistance_fen",
        "oop_fen",
    ]
    rows = pl.concat(
        [f.select(columns) for f in frames] + [planted_rows.select(columns)], how="vertical_relaxed"
    )
    rows = _with_people(rows, persons, households)
    insurance = (
        pl.when((pl.col("pid") % 3) == 0)
        .then(pl.lit("职工基本医疗保险"))
        .otherwise(pl.lit("城乡居民基本医疗保险"))
    )
    return rows.sort("settlement_date", "settlement_id").select(
        pl.col("settlement_id").alias("结算流水号"),
        pl.col("reverses_id").alias("原结算流水号"),
        pl.col("id18").alias("公民身份号码"),
        pl.col("name").alias("姓名"),
        insurance.alias("险种"),
        pl.col("care_type").alias("医疗类别"),
        pl.col("hospital").alias("定点机构名称"),
        _fmt("settlement_date").alias("结算日期"),
        _yuan("total_fen").alias("医疗总费用"),
        _yuan("fund_fen").alias("统筹基金支付"),
        _yuan("critical_fen").alias("大病保险支付"),
        _yuan("assistance_fen").alias("医疗救助支付"),
        _yuan("oop_fen").alias("个人自付"),
        pl.col("town_code").str.slice(0, 6).alias("参保地区划代码"),
        pl.col("town_code").str.slice(0, 6).alias("_county"),
    )


def _add_lag(month: str, frame: pl.DataFrame) -> pl.Expr:
    y, m = int(month[:4]), int(month[5:7])
    index = y * 12 + m - 1 + pl.col("lag")
    return pl.format(
        "{}-{}", (index // 12).cast(pl.String), (index % 12 + 1).cast(pl.String).str.zfill(2)
    )
