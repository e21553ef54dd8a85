"""残联 残疾人证信息: the full snapshot of disability certificates (extracts.md)."""

import polars as pl

from ingest import identity
from ingest import normalise as n
from ingest.values import map_code, parse_date
from sources.contract import TOWN_IN_CITY, YES_NO, Duplicate, Source, same, with_codes

CATEGORY = with_codes(
    ["视力", "听力", "言语", "肢体", "智力", "精神", "多重"], [str(i) for i in range(1, 8)]
)
GRADE = with_codes(["一级", "二级", "三级", "四级"], ["1", "2", "3", "4"])
STATE = same("有效", "注销", "过期")


def _digits(table: dict[str, str]) -> dict[str, str]:
    """Canonical name -> its one-digit code: the certificate number's last two characters."""
    return {name: code for code, name in table.items() if code.isdigit()}


def normalise(raw: pl.DataFrame, as_of) -> pl.DataFrame:
    town, town_checks = n.town()
    frame = n.start(
        raw,
        as_of,
        category_code=map_code(pl.col("category"), CATEGORY),
        grade_code=map_code(pl.col("grade"), GRADE),
        issued_on=parse_date(pl.col("issue_date"), n.serial_ok()),
        state_code=map_code(pl.col("certificate_state"), STATE),
        living_code=map_code(pl.col("living_subsidy"), YES_NO),
        care_code=map_code(pl.col("care_subsidy"), YES_NO),
    ).with_columns(
        # cleaned as an identity number is: it embeds one (and full-width forms, spaces, x)
        certificate=identity.clean(pl.col("certificate_no")),
        town=town,
    )
    checks = [
        (pl.col("certificate").is_null(), n.REQUIRED_VALUE_MISSING),
        (pl.col("_id_reason").is_not_null(), pl.col("_id_reason")),
        *n.code_checks("category", "category_code"),
        *n.code_checks("grade", "grade_code"),
        *n.date_checks("issue_date", "issued_on", as_of, required=True),
        *n.code_checks("certificate_state", "state_code"),
        *n.code_checks("living_subsidy", "living_code"),
        *n.code_checks("care_subsidy", "care_code"),
        *town_checks,
    ]
    return frame.with_columns(_reason=n.reason(checks)).collect()


def project() -> list:
    consistent = pl.col("certificate") == pl.concat_str(
        "id18",
        pl.col("category_code").replace_strict(_digits(CATEGORY), default=None),
        pl.col("grade_code").replace_strict(_digits(GRADE), default=None),
    )
    return [
        "certificate_key",
        "person_key",
        pl.col("category_code").alias("category"),
        pl.col("grade_code").alias("grade"),
        pl.col("issued_on").alias("issue_date"),
        pl.col("state_code").alias("certificate_state"),
        (pl.col("living_code") == "是").alias("living_subsidy"),
        (pl.col("care_code") == "是").alias("care_subsidy"),
        *n.town_columns(),
        consistent.fill_null(False).alias("certificate_consistent"),
    ]


SOURCE = Source(
    name="disability",
    label="残联 残疾人证信息",
    columns={
        "残疾人证号": "certificate_no",
        "公民身份号码": "id_number",
        "姓名": "name",
        "残疾类别": "category",
        "残疾等级": "grade",
        "发证日期": "issue_date",
        "证件状态": "certificate_state",
        "享受困难残疾人生活补贴": "living_subsidy",
        "享受重度残疾人护理补贴": "care_subsidy",
        "乡镇街道代码": "town_code",
    },
    normalise=normalise,
    project=project,
    # a certificate by its pseudonym, the key the warehouse holds certificates by
    duplicate=Duplicate("certificate_key", "DUPLICATE_CERTIFICATE"),
    key_columns=("certificate_key",),
    pseudonyms={"certificate_key": "certificate"},
    # the certificate's number (the holder's identity number and two codes): the vault only
    vault_columns={"certificate_no": identity.clean(pl.col("_raw_certificate_no"))},
    code_tables={"category": CATEGORY, "grade": GRADE, "certificate_state": STATE},
    date_columns=("issue_date", "id_birth_date"),
    row_flags={
        "town_code_in_city": (TOWN_IN_CITY, "town codes inside the city's eight counties"),
        "certificate_consistent": (
            "certificate_consistent",
            "残疾人证号 agrees with the identity number, category and grade",
        ),
    },
)
