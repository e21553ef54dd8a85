"""The quality suites, as code reviewed like code: one blocking and one warning suite per source.

Blocking expectations stop the run (everything downstream of the source);
warning expectations let it go on and say what was tolerated. Each
expectation's `meta` says in plain words what it guards, for the run's message.
"""

from __future__ import annotations

import datetime as dt

import great_expectations as gx
from great_expectations import expectations as gxe

from sources.contract import Balance, Source

EARLIEST = dt.datetime(1900, 1, 1)  # pandas holds dates as datetime64: bounds must be datetimes


def _meta(what: str) -> dict:
    return {"what": what}


def _balances(balance: Balance, mostly: float, how_many: str) -> gxe.Expectation:
    return gxe.ExpectColumnValuesToBeBetween(
        column=balance.column,
        min_value=0,
        max_value=0,
        mostly=mostly,
        meta=_meta(f"{balance.what} {how_many}"),
    )


def schema_suite(source: Source, columns: list[str]) -> gx.ExpectationSuite:
    suite = gx.ExpectationSuite(name=f"{source.name}.schema")
    suite.add_expectation(
        gxe.ExpectTableColumnsToMatchSet(
            column_set=columns,
            exact_match=True,
            meta=_meta("the normalised table has exactly its contract's columns"),
        )
    )
    return suite


def blocking_suite(source: Source, gates: dict) -> gx.ExpectationSuite:
    """The checks on the delivery's rows that block (the balances, on nearly every row)."""
    suite = gx.ExpectationSuite(name=f"{source.name}.blocking")
    for balance in source.balances:
        suite.add_expectation(_balances(balance, 1 - gates[balance.gate], "for nearly every row"))
    return suite


def key_suite(source: Source) -> gx.ExpectationSuite:
    """No key twice in the delivery (validated on a one-row frame: `duplicate_rows`)."""
    suite = gx.ExpectationSuite(name=f"{source.name}.keys")
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeBetween(
            column="duplicate_rows",
            min_value=0,
            max_value=0,
            meta=_meta(f"no duplicate {' and '.join(source.key_columns)} in the delivery"),
        )
    )
    return suite


def _bounds(source: Source, gates: dict) -> tuple[float, float | None]:
    """A snapshot may change by the gate's share either way; a stream must reach its share."""
    share = gates[source.volume_gate]
    return (1 - share, 1 + share) if source.snapshot else (share, None)


def volume_suite(source: Source, gates: dict, previous: str, before: int) -> gx.ExpectationSuite:
    """Volume against the previous delivery (validated on a one-row frame: `rows`)."""
    low, high = _bounds(source, gates)
    what = source.volume_noun
    suite = gx.ExpectationSuite(name=f"{source.name}.volume")
    suite.add_expectation(
        gxe.ExpectColumnValuesToBeBetween(
            column="rows",
            min_value=int(before * low),
            max_value=None if high is None else int(before * high) + 1,
            meta=_meta(f"total {what} within the allowed change from {previous} ({before:,})"),
        )
    )
    return suite


def file_volume_suite(source: Source, gates: dict, previous: str) -> gx.ExpectationSuite:
    """Each file against the same file last time: a truncated export is the classic failure."""
    low, high = _bounds(source, gates)
    suite = gx.ExpectationSuite(name=f"{source.name}.file_volume")
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


def accounting_suite(source: Source, gates: dict) -> gx.ExpectationSuite:
    """Over every row read (validated on the delivery's one-row totals)."""
    suite = gx.ExpectationSuite(name=f"{source.name}.accounting")
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
    if source.snapshot:
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
    source: Source, gates: dict, previous: str, previous_share: float
) -> gx.ExpectationSuite:
    """The share quarantined against the previous delivery's: some dirt is normal every month,
    a jump in it is news (validated on the delivery's one-row totals)."""
    rise = gates["max_quarantine_share_rise"]
    suite = gx.ExpectationSuite(name=f"{source.name}.accounting_warnings")
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


def warning_suite(source: Source, as_of: dt.date) -> gx.ExpectationSuite:
    """Code tables, date ranges, the source's own flags and balances, on every row."""
    suite = gx.ExpectationSuite(name=f"{source.name}.warnings")
    for column, values in source.accepted_values.items():
        suite.add_expectation(
            gxe.ExpectColumnValuesToBeInSet(
                column=column, value_set=values, meta=_meta(f"{column} within its code table")
            )
        )
    for column in source.date_columns:
        suite.add_expectation(
            gxe.ExpectColumnValuesToBeBetween(
                column=column,
                min_value=EARLIEST,
                max_value=dt.datetime.combine(as_of, dt.time()),
                meta=_meta(
                    source.late_dates.get(
                        column, f"{column} between 1900-01-01 and the period's end"
                    )
                ),
            )
        )
    for balance in source.balances:
        suite.add_expectation(_balances(balance, 1.0, "for every row"))
    for column, (_, what) in source.row_flags.items():
        suite.add_expectation(
            gxe.ExpectColumnValuesToBeInSet(column=column, value_set=[True], meta=_meta(what))
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
