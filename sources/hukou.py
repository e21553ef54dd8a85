"""公安 户籍人口信息: the full snapshot of the city's registered population (extracts.md)."""

import polars as pl

from ingest import normalise as n
from ingest.values import map_code, parse_date, stripped, village_of
from sources.contract import TOWN_IN_CITY, Duplicate, Source, with_codes

SEX = {"男": "男", "女": "女", "1": "男", "2": "女"}
RELATION = with_codes(
    ["户主", "配偶", "子", "女", "父亲", "母亲", "孙子", "孙女", "兄弟", "姐妹", "其他"],
    ["01", "10", "20", "30", "51", "52", "41", "42", "71", "72", "99"],
)
STATUS = {s: s for s in ("正常", "死亡", "迁出", "失踪", "服刑在押")}


def normalise(raw: pl.DataFrame, as_of) -> pl.DataFrame:
    town, town_checks = n.town()
    frame = n.start(
        raw,
        as_of,
        ("father", "mother"),
        sex_code=map_code(pl.col("sex"), SEX),
        birth=parse_date(pl.col("birth_date"), n.serial_ok()),
        relation_code=map_code(pl.col("relation"), RELATION),
        status_code=map_code(pl.col("status"), STATUS),
        status_changed=parse_date(pl.col("status_date"), n.serial_ok()),
    ).with_columns(town=town, household=stripped(pl.col("household_no")))
    checks = [
        (pl.col("_id_reason").is_not_null(), pl.col("_id_reason")),
        (stripped(pl.col("name")).is_null(), n.REQUIRED_VALUE_MISSING),
        (pl.col("household").is_null(), n.REQUIRED_VALUE_MISSING),
        *n.code_checks("sex", "sex_code", required=False),
        *n.date_checks("birth_date", "birth", as_of, required=False),
        *n.code_checks("relation", "relation_code"),
        *n.code_checks("status", "status_code"),
        *n.date_checks("status_date", "status_changed", as_of, required=False),
        *town_checks,
    ]
    return frame.with_columns(_reason=n.reason(checks)).collect()


def project() -> list:
    return [
        "person_key",
        "name_key",
        pl.col("sex_code").alias("sex"),
        pl.col("birth").alias("birth_date"),
        pl.col("household").alias("household_no"),
        pl.col("relation_code").alias("relation"),
        "father_key",
        "mother_key",
        *n.town_columns(),
        pl.col("status_code").alias("status"),
        pl.col("status_changed").alias("status_date"),
        # the address itself stays out of the warehouse: only its village, for the workbooks
        village_of(pl.col("address")).alias("village"),
    ]


SOURCE = Source(
    name="hukou",
    label="公安 户籍人口信息",
    columns={
        "公民身份号码": "id_number",
        "姓名": "name",
        "性别": "sex",
        "出生日期": "birth_date",
        "户号": "household_no",
        "与户主关系": "relation",
        "父亲公民身份号码": "father_id_number",
        "母亲公民身份号码": "mother_id_number",
        "乡镇街道代码": "town_code",
        "户籍地址": "address",
        "人员状态": "status",
        "状态变更日期": "status_date",
    },
    optional_columns=frozenset({"父亲公民身份号码", "母亲公民身份号码"}),
    normalise=normalise,
    project=project,
    duplicate=Duplicate("_id_number", "DUPLICATE_PERSON"),
    key_columns=("person_key",),
    pseudonyms={"father_key": "father_id18", "mother_key": "mother_id18"},
    name_keyed=True,
    code_tables={"status": STATUS, "relation": RELATION},
    date_columns=("id_birth_date", "status_date"),
    row_flags={
        "birth_matches_id": (
            "coalesce(birth_date = id_birth_date, true)",
            "出生日期 agrees with the identity number",
        ),
        "status_dated": (
            "status = '正常' OR status_date IS NOT NULL",
            "a status other than 正常 carries its 状态变更日期",
        ),
        "town_code_in_city": (TOWN_IN_CITY, "town codes inside the city's eight counties"),
    },
)
