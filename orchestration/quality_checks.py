"""Quality gates as Dagster asset checks on each source: a blocking gate and a warnings check.

The blocking gate's failure (severity ERROR) stops everything downstream of the
source; the warnings check only reports. Both run the Great Expectations suites
of `expectations/`; the blocking gate also refreshes the HTML quality report.
"""

from functools import cache
from pathlib import Path

import dagster as dg

from doudi_core.warehouse import DUCKDB_CONFIG
from expectations import report as quality_report
from expectations.gates import GateReport, run_feedback_gate, run_gate
from expectations.validate import Validator
from orchestration.partitions import periods
from orchestration.resources import DoudiResource
from sources import SOURCES
from workbooks.layout import RESULTS


@cache
def _validator() -> Validator:
    """One GX context per process: creating it costs about half a second."""
    return Validator(duckdb_config=DUCKDB_CONFIG)


def _metadata(report: GateReport, findings) -> dict:
    meta = {"note": report.note}
    for i, finding in enumerate(findings):
        meta[f"{i + 1:02d} {'ok' if finding.success else 'FAILED'}"] = dg.MetadataValue.text(
            finding.sentence()
        )
    return meta


def _gate(doudi: DoudiResource, source: str, period: str, blocking: bool) -> GateReport:
    """Run one severity's suites, record the findings, refresh the period's HTML report."""
    report = run_gate(
        Path(doudi.warehouse), doudi.connect, source, period, doudi.config(), _validator(), blocking
    )
    with doudi.connect() as con:
        quality_report.record(con, report, "blocking" if blocking else "warning")
        quality_report.render(con, doudi.out_path, period)
    return report


def _build(source: str) -> list[dg.AssetChecksDefinition]:
    key = dg.AssetKey(["ingested", source])

    @dg.asset_check(
        asset=key,
        name="blocking_gate",
        blocking=True,
        partitions_def=periods,
        description=f"{source}: blocking suite (schema, unique keys, share of invalid identity "
        "numbers and of quarantined rows, volume against the previous period, reconciliation)",
    )
    def blocking_gate(
        context: dg.AssetCheckExecutionContext, doudi: DoudiResource
    ) -> dg.AssetCheckResult:
        report = _gate(doudi, source, context.partition_key, blocking=True)
        for failure in report.failures:
            context.log.error(f"BLOCKED {source}: {failure.sentence()}")
        return dg.AssetCheckResult(
            passed=report.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=_metadata(report, report.blocking),
        )

    @dg.asset_check(
        asset=key,
        name="warnings",
        blocking=False,
        partitions_def=periods,
        description=f"{source}: warning suite (code tables, date ranges, consistency, any quarantine)",
    )
    def warnings(
        context: dg.AssetCheckExecutionContext, doudi: DoudiResource
    ) -> dg.AssetCheckResult:
        report = _gate(doudi, source, context.partition_key, blocking=False)
        for tolerated in report.tolerated:
            context.log.warning(f"tolerated {source}: {tolerated.sentence()}")
        return dg.AssetCheckResult(
            passed=not report.tolerated,
            severity=dg.AssetCheckSeverity.WARN,
            metadata=_metadata(report, report.warnings),
        )

    return [blocking_gate, warnings]


quality_checks = [check for source in SOURCES for check in _build(source)]


@dg.asset_check(
    asset=dg.AssetKey(["ingested", "feedback"]),
    name="blocking_gate",
    blocking=True,
    partitions_def=periods,
    description="feedback: accepted answers unique per lead, results from the list, dated",
)
def feedback_gate(
    context: dg.AssetCheckExecutionContext, doudi: DoudiResource
) -> dg.AssetCheckResult:
    with doudi.connect() as con:
        report = run_feedback_gate(con, context.partition_key, _validator(), RESULTS)
    for failure in report.failures:
        context.log.error(f"BLOCKED feedback: {failure.sentence()}")
    return dg.AssetCheckResult(
        passed=report.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=_metadata(report, report.blocking),
    )


quality_checks.append(feedback_gate)
