"""The quality suites, as code reviewed like code: one blocking and one warning suite per source.

Blocking expectations stop the run (everything downstream of the source);
warning expectations let it go on and say what was tolerated. Each
expectation's `meta` says in plain words what it guards, for the run's message.
"""

from __future__ import annotations

import datetime as dt

import great_expectations as gx
from great_expectations import expectations as gxe

KEY_COLUMN = {
    "hukou": "person_key",
    "lowincome": "person_key",
    "disability": "certificate_key",
    "medical": "settlement_id",
}
CODE_SETS = {
    "hukou": {
        "status": ["正常", "死亡", "迁出", "失踪", "服刑在押"],
        "relation": [
            "户主",
            "配偶",
            "子",
            "女",
            "父亲",
            "母亲",
            "孙子",
            "孙女",
            "兄弟",
            "姐妹",
            "其他",
        ],
    },
    "medical": {
        "care_type": ["住院", "门诊慢特病", "普通门诊"],
        "insurance_type": ["职工基本医疗保险", "城乡居民基本医疗保险"],
    },
    "disability": {
        "category": ["视力", "听力", "言语", "肢体", "智力", "精神", "多重"],
        "grade": ["一级", "二级", "三级", "四级"],
        "certificate_state": ["有效", "注销", "过期"],
    },
    "lowincome": {
        "category": ["低保", "特困", "低保边缘", "支出型困难", "孤儿", "事实无人抚养儿童"],
        "status": ["在保", "停保"],
        "relation": ["本人", "配偶", "子女", "父母", "孙子女", "兄弟姐妹", "其他"],
    },
}
DATE_COLUMNS = {
    "hukou": ["id_birth_date", "status_date"],
    "medical": ["settlement_date"],
    "disability": ["issue_date", "id_birth_date"],
    "lowincome": ["enrol_date", "stop_date", "last_review_date", "id_birth_date"],
}
EARLIEST = dt.datetime(1900, 1, 1)  # pandas holds dates as datetime64: bounds must be datetimes


def _meta(what: str) -> dict:
    return {"what": what}


def _reconciles(mostly: float, how_many: str) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeBetween(
        column="reconcile_diff_fen",
        min_value=0,
        max_value=0,
        mostly=mostly,
        meta=_meta(f"医疗总费用 = 统筹 + 大病 + 医疗救助 + 个人自付 (to the cent) {how_many}"),
    )


def schema_suite(source: str, columns: list[str]) -> gx.ExpectationSuite:
    suite = gx.ExpectationSuite(name=f"{source}.schema")
    suite.add_expectation(
        gxe.ExpectTableColumnsToMatchSet(
            column_set=columns,
            exact_match=True,
            meta=_meta("the normalised table has exactly its contract's columns"),
        )
    )
    return suite


def blocking_suite(source: str, gates: dict) -> gx.ExpectationSuite:
    suite = gx.ExpectationSuite(name=f"{source}.blocking")
    if source == "medical":
        suite.add_expectation(
            _reconciles(1 - gates["max_unreconciled_share"], "for nearly every settlement")
        )
    return suite


def key_suite(source: str) -> gx.ExpectationSuite:
    """No key twice in the delivery (validated on a one-row frame: `duplicate_rows`)."""
    suite = gx.ExpectationSuite(name=f"{source}.keys")
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeBetween(
            column="duplicate_rows",
            min_value=0,
            max_value=0,
            meta=_meta(f"no duplicate {KEY_COLUMN[source]} in the delivery"),
        )
    )
    return suite


def _bounds(source: str, gates: dict) -> tuple[float, float | None]:
    if source == "medical":
        return gates["min_medical_volume_share"], None
    return 1 - gates["max_snapshot_change_share"], 1 + gates["max_snapshot_change_share"]


def volume_suite(source: str, gates: dict, previous: str, before: int) -> gx.ExpectationSuite:
    """Volume against the previous delivery (validated on a one-row frame: `rows`)."""
    low, high = _bounds(source, gates)
    what = "settlements dated in the delivery's own month" if source == "medical" else "rows"
    suite = gx.ExpectationSuite(name=f"{source}.volume")
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeBetween(
            column="rows",
            min_value=int(before * low),
            max_value=None if high is None else int(before * high) + 1,
            meta=_meta(f"total {what} within the allowed change from {previous} ({before:,})"),
        )
    )
    return suite


def file_volume_suite(source: str, gates: dict, previous: str) -> gx.ExpectationSuite:
    """Each file against the same file last time: a truncated export is the classic failure."""
    low, high = _bounds(source, gates)
    suite = gx.ExpectationSuite(name=f"{source}.file_volume")
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeBetween(
            column="ratio",
            min_value=low,
            max_value=high,
            meta=_meta(
                f"each file's volume against the same file in {previous} "
                f"(files with at least {gates['min_rows_for_file_volume']} rows then)"
            ),
        )
    )
    return suite


def accounting_suite(source: str, gates: dict, snapshot: bool) -> gx.ExpectationSuite:
    """Over every row read (validated on the delivery's one-row totals)."""
    suite = gx.ExpectationSuite(name=f"{source}.accounting")
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeBetween(
            column="invalid_id_share",
            max_value=gates["max_invalid_id_share"],
            meta=_meta(
                f"at most {gates['max_invalid_id_share']:.0%} of rows read with an invalid identity number"
            ),
        )
    )
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeBetween(
            column="quarantine_share",
            max_value=gates["max_quarantine_share"],
            meta=_meta(f"at most {gates['max_quarantine_share']:.0%} of rows read quarantined"),
        )
    )
    if snapshot:
        suite.add_expectation(
            gxe.ExpectColumnValuesToBeBetween(
                column="empty_files",
                max_value=0,
                meta=_meta(
                    "every file of a full snapshot holds rows (a header alone is no snapshot)"
                ),
            )
        )
    return suite


def quarantine_rise_suite(
    source: str, gates: dict, previous: str, previous_share: float
) -> gx.ExpectationSuite:
    """The share quarantined against the previous delivery's: some dirt is normal every month,
    a jump in it is news (validated on the delivery's one-row totals)."""
    rise = gates["max_quarantine_share_rise"]
    suite = gx.ExpectationSuite(name=f"{source}.accounting_warnings")
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeBetween(
            column="quarantine_share",
            max_value=previous_share + rise,
            meta=_meta(
                f"share of rows quarantined at most {rise:.0%} points above {previous}'s "
                f"({previous_share:.1%})"
            ),
        )
    )
    return suite


def warning_suite(source: str, as_of: dt.date) -> gx.ExpectationSuite:
    suite = gx.ExpectationSuite(name=f"{source}.warnings")
    for column, values in CODE_SETS[source].items():
        suite.add_expectation(
            gxe.ExpectColumnValuesToBeInSet(
                column=column, value_set=values, meta=_meta(f"{column} within its code table")
            )
        )
    for column in DATE_COLUMNS[source]:
        suite.add_expectation(
            gxe.ExpectColumnValuesToBeBetween(
                column=column,
                min_value=EARLIEST,
                max_value=dt.datetime.combine(as_of, dt.time()),
                meta=_meta(f"{column} between 1900-01-01 and the period's end"),
            )
        )
    if source != "medical":
        suite.add_expectation(
            gxe.ExpectColumnValuesToBeInSet(
                column="town_code_in_city",
                value_set=[True],
                meta=_meta("town codes inside the city's eight counties"),
            )
        )
    if source == "medical":
        suite.add_expectation(_reconciles(1.0, "for every settlement"))
        suite.add_expectation(
            gxe.ExpectColumnValuesToBeInSet(
                column="amount_sign_ok",
                value_set=[True],
                meta=_meta(
                    "amounts non-negative, except reversals (negative, naming what they reverse)"
                ),
            )
        )
    if source == "disability":
        suite.add_expectation(
            gxe.ExpectColumnValuesToBeInSet(
                column="certificate_consistent",
                value_set=[True],
                meta=_meta("残疾人证号 agrees with the identity number, category and grade"),
            )
        )
    if source == "hukou":
        suite.add_expectation(
            gxe.ExpectColumnValuesToBeInSet(
                column="birth_matches_id",
                value_set=[True],
                meta=_meta("出生日期 agrees with the identity number"),
            )
        )
        suite.add_expectation(
            gxe.ExpectColumnValuesToBeInSet(
                column="status_dated",
                value_set=[True],
                meta=_meta("a status other than 正常 carries its 状态变更日期"),
            )
        )
    return suite


def feedback_suite(results: list[str]) -> gx.ExpectationSuite:
    """Accepted verification answers: one per lead per period, from the list, dated."""
    suite = gx.ExpectationSuite(name="feedback.blocking")
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeUnique(
            column="lead_id", meta=_meta("at most one accepted answer per lead in a period")
        )
    )
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeInSet(
            column="result",
            value_set=results,
            meta=_meta("核查结果 from the workbook's drop-down list"),
        )
    )
    suite.add_expectation(
        gxe.ExpectColumnValuesToNotBeNull(
            column="verified_on", meta=_meta("every accepted answer has its 核查日期")
        )
    )
    return suite
