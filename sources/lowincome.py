"""民政 低收入人口数据库: the full snapshot, one row per household member (extracts.md)."""

import polars as pl

from ingest import normalise as n
from ingest.values import (
    fen_parser,
    is_blank,
    map_code,
    normalise_name,
    parse_date,
    parse_int,
    stripped,
)
from sources.contract import TOWN_IN_CITY, Duplicate, InvalidNumbers, Source, same

RELATION = same("本人", "配偶", "子女", "父母", "孙子女", "兄弟姐妹", "其他")
CATEGORY = same("低保", "特困", "低保边缘", "支出型困难", "孤儿", "事实无人抚养儿童")
STATUS = same("在保", "停保")
WORK_ABILITY = same("有", "部分", "无")
SELF_CARE = same("全自理", "半自理", "全护理")


def normalise(raw: pl.DataFrame, as_of) -> pl.DataFrame:
    town, town_checks = n.town()
    frame = n.start(
        raw,
        as_of,
        relation_code=map_code(pl.col("relation"), RELATION),
        category_code=map_code(pl.col("category"), CATEGORY),
        status_code=map_code(pl.col("status"), STATUS),
        enrolled_on=parse_date(pl.col("enrol_date"), n.serial_ok()),
        stopped_on=parse_date(pl.col("stop_date"), n.serial_ok()),
        benefit_fen=fen_parser(pl.col("monthly_benefit")),
        size=parse_int(pl.col("household_size")),
        income_fen=fen_parser(pl.col("income_per_head")),
        work_code=map_code(pl.col("work_ability"), WORK_ABILITY),
        self_care_code=map_code(pl.col("self_care"), SELF_CARE),
        reviewed_on=parse_date(pl.col("last_review_date"), n.serial_ok()),
    ).with_columns(household=stripped(pl.col("household_id")), town=town)
    checks = [
        (pl.col("_id_reason").is_not_null(), pl.col("_id_reason")),
        (pl.col("household").is_null(), n.REQUIRED_VALUE_MISSING),
        *n.code_checks("relation", "relation_code"),
        *n.code_checks("category", "category_code"),
        *n.code_checks("status", "status_code"),
        *n.date_checks("enrol_date", "enrolled_on", as_of, required=True),
        *n.date_checks("stop_date", "stopped_on", as_of, required=False),
        (is_blank(pl.col("monthly_benefit")), n.REQUIRED_VALUE_MISSING),
        (pl.col("benefit_fen").is_null(), n.AMOUNT_UNPARSABLE),
        (is_blank(pl.col("household_size")), n.REQUIRED_VALUE_MISSING),
        (pl.col("size").is_null() | (pl.col("size") < 1), n.AMOUNT_UNPARSABLE),
        (is_blank(pl.col("income_per_head")), n.REQUIRED_VALUE_MISSING),
        (pl.col("income_fen").is_null(), n.AMOUNT_UNPARSABLE),
        *n.code_checks("work_ability", "work_code", required=False),
        *n.code_checks("self_care", "self_care_code", required=False),
        *n.date_checks("last_review_date", "reviewed_on", as_of, required=False),
        *town_checks,
    ]
    return frame.with_columns(_reason=n.reason(checks)).collect()


def project() -> list:
    return [
        pl.col("household").alias("household_id"),
        "person_key",
        "name_key",
        pl.col("relation_code").alias("relation"),
        pl.col("category_code").alias("category"),
        pl.col("status_code").alias("status"),
        pl.col("enrolled_on").alias("enrol_date"),
        pl.col("stopped_on").alias("stop_date"),
        "benefit_fen",
        pl.col("size").alias("household_size"),
        "income_fen",
        pl.col("work_code").alias("work_ability"),
        pl.col("self_care_code").alias("self_care"),
        pl.col("reviewed_on").alias("last_review_date"),
        *n.town_columns(),
        pl.col("village").str.strip_chars(),
    ]


def missing_number_key() -> pl.Expr:
    """A member delivered without a number still raises IDENTITY_MISMATCH: keyed by household
    and name, in a namespace no identity number can share."""
    name = normalise_name(pl.col("name"))
    return pl.concat_str(pl.lit("no-number:"), pl.col("household"), pl.lit(":"), name)


SOURCE = Source(
    name="lowincome",
    label="民政 低收入人口数据库",
    columns={
        "家庭编号": "household_id",
        "公民身份号码": "id_number",
        "姓名": "name",
        "与申请人关系": "relation",
        "救助类别": "category",
        "保障状态": "status",
        "纳入日期": "enrol_date",
        "停保日期": "stop_date",
        "月保障金额": "monthly_benefit",
        "家庭人口数": "household_size",
        "家庭月人均收入": "income_per_head",
        "劳动能力": "work_ability",
        "自理能力": "self_care",
        "上次核查日期": "last_review_date",
        "乡镇街道代码": "town_code",
        "村社区": "village",
    },
    normalise=normalise,
    project=project,
    duplicate=Duplicate("_id_number", "DUPLICATE_PERSON"),
    key_columns=("person_key",),
    name_keyed=True,
    missing_number_key=missing_number_key,
    invalid_numbers=InvalidNumbers(
        "lowincome_invalid_ids",
        "Low-income members quarantined for their identity number; they still raise "
        "IDENTITY_MISMATCH leads.",
    ),
    code_tables={"category": CATEGORY, "status": STATUS, "relation": RELATION},
    date_columns=("enrol_date", "stop_date", "last_review_date", "id_birth_date"),
    row_flags={"town_code_in_city": (TOWN_IN_CITY, "town codes inside the city's eight counties")},
)
