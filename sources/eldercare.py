"""民政 养老服务记录: the elder-services system's full snapshot, one row per person and
service (extracts.md). Added after the first four sources: an inbox may never have had it."""

import polars as pl

from ingest import normalise as n
from ingest.values import fen_parser, is_blank, map_code, parse_date
from sources.contract import TOWN_IN_CITY, Duplicate, Source, same, with_codes

SERVICE = same("尊老金", "护理补贴", "能力评估", "探访关爱")
PAYMENTS = ["尊老金", "护理补贴"]  # the services with a status, a start and a monthly amount
STATUS = same("在发", "停发")
# GB/T 42195-2022's five levels, as words or as the codes 0-4
ASSESSMENT = with_codes(
    ["能力完好", "轻度失能", "中度失能", "重度失能", "完全失能"], [str(i) for i in range(5)]
)


def normalise(raw: pl.DataFrame, as_of) -> pl.DataFrame:
    town, town_checks = n.town()
    frame = n.start(
        raw,
        as_of,
        service_code=map_code(pl.col("service"), SERVICE),
        status_code=map_code(pl.col("status"), STATUS),
        started_on=parse_date(pl.col("start_date"), n.serial_ok()),
        stopped_on=parse_date(pl.col("stop_date"), n.serial_ok()),
        monthly_fen=fen_parser(pl.col("monthly_amount")),
        latest_on=parse_date(pl.col("last_date"), n.serial_ok()),
        grade_code=map_code(pl.col("assessment_grade"), ASSESSMENT),
    ).with_columns(town=town)
    payment = pl.col("service_code").is_in(PAYMENTS)
    checks = [
        (pl.col("_id_reason").is_not_null(), pl.col("_id_reason")),
        *n.code_checks("service", "service_code"),
        (payment & is_blank(pl.col("status")), n.REQUIRED_VALUE_MISSING),
        *n.code_checks("status", "status_code", required=False),
        (payment & is_blank(pl.col("start_date")), n.REQUIRED_VALUE_MISSING),
        *n.date_checks("start_date", "started_on", as_of, required=False),
        *n.date_checks("stop_date", "stopped_on", as_of, required=False),
        (payment & is_blank(pl.col("monthly_amount")), n.REQUIRED_VALUE_MISSING),
        (
            ~is_blank(pl.col("monthly_amount")) & pl.col("monthly_fen").is_null(),
            n.AMOUNT_UNPARSABLE,
        ),
        # the export is taken after the month ends: a 最近日期 after as_of counts as within the
        # period (a warning counts such rows), so it is not quarantined
        (~is_blank(pl.col("last_date")) & pl.col("latest_on").is_null(), n.DATE_UNPARSABLE),
        *n.code_checks("assessment_grade", "grade_code", required=False),
        *town_checks,
    ]
    return frame.with_columns(_reason=n.reason(checks)).collect()


def project() -> list:
    return [
        "person_key",
        pl.col("service_code").alias("service"),
        pl.col("status_code").alias("status"),
        pl.col("started_on").alias("start_date"),
        pl.col("stopped_on").alias("stop_date"),
        "monthly_fen",
        pl.col("latest_on").alias("last_date"),
        pl.col("grade_code").alias("assessment_grade"),
        *n.town_columns(),
    ]


SOURCE = Source(
    name="eldercare",
    label="民政 养老服务记录",
    columns={
        "公民身份号码": "id_number",
        "姓名": "name",
        "服务项目": "service",
        "状态": "status",
        "开始日期": "start_date",
        "停发日期": "stop_date",
        "月发放金额": "monthly_amount",
        "最近日期": "last_date",
        "评估等级": "assessment_grade",
        "乡镇街道代码": "town_code",
    },
    normalise=normalise,
    project=project,
    required=False,
    # the same person and service twice: the later 最近日期 (or 开始日期) stands; on equal or
    # blank dates the later file, then the later row
    duplicate=Duplicate(
        pl.concat_str("_id_number", pl.lit("|"), "service"),
        "DUPLICATE_SERVICE",
        keep="last",
        latest=pl.coalesce("last_date", "start_date"),
    ),
    key_columns=("person_key", "service"),
    code_tables={"service": SERVICE, "status": STATUS, "assessment_grade": ASSESSMENT},
    date_columns=("start_date", "stop_date", "last_date", "id_birth_date"),
    late_dates={
        "last_date": "最近日期 after the period's end, kept as within the period (extracts.md: "
        "the export is taken after the month ends)"
    },
    row_flags={
        "stop_date_only_when_stopped": (
            "stop_date IS NULL OR status = '停发'",
            "停发日期 only on a row whose 状态 is 停发",
        ),
        "amount_not_negative": ("coalesce(monthly_fen >= 0, true)", "月发放金额 not negative"),
        "town_code_in_city": (TOWN_IN_CITY, "town codes inside the city's eight counties"),
    },
)
