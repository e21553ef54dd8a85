"""医保 结算记录: the stream of settlement records (extracts.md)."""

import polars as pl

from doudi_core.places import COUNTIES
from ingest import normalise as n
from ingest.values import fen_parser, is_blank, map_code, parse_date, stripped
from sources.contract import Balance, Duplicate, Source, same

INSURANCE_TYPE = same("职工基本医疗保险", "城乡居民基本医疗保险")
CARE_TYPE = same("住院", "门诊慢特病", "普通门诊")
AMOUNTS = {  # fen column -> the amount delivered in yuan
    "total_fen": "total_cost",
    "fund_fen": "fund_paid",
    "critical_fen": "critical_illness_paid",
    "assistance_fen": "assistance_paid",
    "oop_fen": "out_of_pocket",
}


def normalise(raw: pl.DataFrame, as_of) -> pl.DataFrame:
    county = stripped(pl.col("insured_county_code"))
    frame = n.start(
        raw,
        as_of,
        insurance_code=map_code(pl.col("insurance_type"), INSURANCE_TYPE),
        care_code=map_code(pl.col("care_type"), CARE_TYPE),
        settled_on=parse_date(pl.col("settlement_date"), n.serial_ok()),
        **{fen: fen_parser(pl.col(src)) for fen, src in AMOUNTS.items()},
    ).with_columns(
        settlement=stripped(pl.col("settlement_id")),
        reverses=stripped(pl.col("reverses_id")),
        insured_county=county,
    )
    amount_checks = []
    for fen, src in AMOUNTS.items():
        amount_checks.append((is_blank(pl.col(src)), n.REQUIRED_VALUE_MISSING))
        amount_checks.append((pl.col(fen).is_null(), n.AMOUNT_UNPARSABLE))
    checks = [
        (pl.col("settlement").is_null(), n.REQUIRED_VALUE_MISSING),
        (pl.col("_id_reason").is_not_null(), pl.col("_id_reason")),
        *n.code_checks("insurance_type", "insurance_code"),
        *n.code_checks("care_type", "care_code"),
        *n.date_checks("settlement_date", "settled_on", as_of, required=True),
        *amount_checks,
        (county.is_null(), n.REQUIRED_VALUE_MISSING),
        (~county.is_in(sorted(COUNTIES)), n.OUTSIDE_CITY),
    ]
    return frame.with_columns(_reason=n.reason(checks)).collect()


def project() -> list:
    return [
        pl.col("settlement").alias("settlement_id"),
        pl.col("reverses").alias("reverses_id"),
        "person_key",
        pl.col("insurance_code").alias("insurance_type"),
        pl.col("care_code").alias("care_type"),
        pl.col("hospital").str.strip_chars(),
        pl.col("settled_on").alias("settlement_date"),
        *AMOUNTS,
        pl.col("insured_county").alias("insured_county_code"),
    ]


SOURCE = Source(
    name="medical",
    label="医保 结算记录",
    columns={
        "结算流水号": "settlement_id",
        "原结算流水号": "reverses_id",
        "公民身份号码": "id_number",
        "姓名": "name",
        "险种": "insurance_type",
        "医疗类别": "care_type",
        "定点机构名称": "hospital",
        "结算日期": "settlement_date",
        "医疗总费用": "total_cost",
        "统筹基金支付": "fund_paid",
        "大病保险支付": "critical_illness_paid",
        "医疗救助支付": "assistance_paid",
        "个人自付": "out_of_pocket",
        "参保地区划代码": "insured_county_code",
    },
    normalise=normalise,
    project=project,
    snapshot=False,
    period_column="delivery_period",
    # the same 结算流水号 delivered again replaces the earlier copy
    duplicate=Duplicate("settlement_id", "DUPLICATE_SETTLEMENT_ID", keep="last"),
    key_columns=("settlement_id",),
    code_tables={"care_type": CARE_TYPE, "insurance_type": INSURANCE_TYPE},
    date_columns=("settlement_date",),
    row_flags={
        "amount_sign_ok": (
            "CASE WHEN reverses_id IS NOT NULL "
            "THEN greatest(total_fen, fund_fen, critical_fen, assistance_fen, oop_fen) <= 0 "
            "ELSE least(total_fen, fund_fen, critical_fen, assistance_fen, oop_fen) >= 0 END",
            "amounts non-negative, except reversals (negative, naming what they reverse)",
        )
    },
    balances=(
        Balance(
            "reconcile_diff_fen",
            "total_fen - (fund_fen + critical_fen + assistance_fen + oop_fen)",
            "医疗总费用 = 统筹 + 大病 + 医疗救助 + 个人自付 (to the cent)",
            gate="max_unreconciled_share",
        ),
    ),
    # a back-fill must not look like growth: volume is the settlements of the delivery's month
    volume_gate="min_medical_volume_share",
    volume_filter="strftime(settlement_date, '%Y-%m') = delivery_period",
    volume_noun="settlements dated in the delivery's own month",
)
