"""殡葬 火化及殡葬服务记录: the funeral homes' stream of records (extracts.md). Added after the
first four sources: an inbox may never have had it. Records accumulate across deliveries;
the same 业务编号 delivered again replaces the earlier copy (crossmatch.inputs)."""

import polars as pl

from ingest import normalise as n
from ingest.values import fen_parser, is_blank, map_code, parse_date, stripped
from sources.contract import YES_NO, Duplicate, Source

DEATH_AFTER_CREMATION = "DEATH_AFTER_CREMATION"


def normalise(raw: pl.DataFrame, as_of) -> pl.DataFrame:
    frame = n.start(
        raw,
        as_of,
        died_on=parse_date(pl.col("death_date"), n.serial_ok()),
        cremated_on=parse_date(pl.col("cremation_date"), n.serial_ok()),
        waived_code=map_code(pl.col("fee_waived"), YES_NO),
        waived_fen=fen_parser(pl.col("waived_amount")),
    ).with_columns(case=stripped(pl.col("case_no")), home=stripped(pl.col("funeral_home")))
    checks = [
        (pl.col("case").is_null(), n.REQUIRED_VALUE_MISSING),
        (pl.col("_id_reason").is_not_null(), pl.col("_id_reason")),
        # a 死亡日期 after as_of is kept: the export is taken after the month ends, and the
        # record counts from the first period whose as_of it does not exceed
        (is_blank(pl.col("death_date")), n.REQUIRED_VALUE_MISSING),
        (pl.col("died_on").is_null(), n.DATE_UNPARSABLE),
        (~is_blank(pl.col("cremation_date")) & pl.col("cremated_on").is_null(), n.DATE_UNPARSABLE),
        (pl.col("died_on") > pl.col("cremated_on"), DEATH_AFTER_CREMATION),
        *n.code_checks("fee_waived", "waived_code"),
        (
            ~is_blank(pl.col("waived_amount")) & pl.col("waived_fen").is_null(),
            n.AMOUNT_UNPARSABLE,
        ),
    ]
    return frame.with_columns(_reason=n.reason(checks)).collect()


def project() -> list:
    return [
        pl.col("case").alias("case_no"),
        "person_key",
        pl.col("died_on").alias("death_date"),
        pl.col("cremated_on").alias("cremation_date"),
        pl.col("home").alias("funeral_home"),
        (pl.col("waived_code") == "是").alias("fee_waived"),
        "waived_fen",
    ]


SOURCE = Source(
    name="funeral",
    label="殡葬 火化及殡葬服务记录",
    columns={
        "业务编号": "case_no",
        "逝者公民身份号码": "id_number",
        "逝者姓名": "name",
        "死亡日期": "death_date",
        "火化日期": "cremation_date",
        "殡仪馆": "funeral_home",
        "死亡证明编号": "certificate_no",
        "惠民殡葬减免": "fee_waived",
        "减免金额": "waived_amount",
    },
    normalise=normalise,
    project=project,
    required=False,
    snapshot=False,
    period_column="delivery_period",
    # the same 业务编号 twice in one delivery: the later stands (across deliveries, the
    # later delivery's copy replaces the earlier one)
    duplicate=Duplicate("case_no", "DUPLICATE_CASE_NO", keep="last"),
    key_columns=("case_no",),
    # a 火化日期 after as_of follows a death after it, which is warned about already
    date_columns=("death_date",),
    late_dates={
        "death_date": "死亡日期 after the period's end, kept for the first period it falls in "
        "(extracts.md: the export is taken after the month ends)",
    },
    row_flags={
        "waived_amount_only_when_waived": (
            "coalesce(waived_fen, 0) = 0 OR fee_waived",
            "减免金额 only on a record whose 惠民殡葬减免 is 是",
        ),
    },
    # a back-fill must not look like growth: volume is the deaths of the delivery's own month
    # the death certificate's number identifies the person: the vault only (the police roster)
    vault_columns={"certificate_no": stripped(pl.col("_raw_certificate_no"))},
    volume_gate="min_medical_volume_share",
    volume_filter="strftime(death_date, '%Y-%m') = delivery_period",
    volume_noun="records of deaths in the delivery's own month",
)
