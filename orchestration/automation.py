"""When the monthly job runs: on a schedule, and when a period's extracts have all arrived."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import dagster as dg

from doudi_core.period import shift
from doudi_core.settings import Paths
from ingest.arrivals import complete_periods
from orchestration.partitions import periods
from orchestration.preflight import Refused, check_calendar

BUREAU_TIME_ZONE = "Asia/Shanghai"


def period_before(moment: dt.datetime) -> str:
    """The month before `moment`'s month, on the bureau's calendar (Asia/Shanghai): the
    period whose extracts arrive in the first days of the month the schedule runs in."""
    local = moment.astimezone(ZoneInfo(BUREAU_TIME_ZONE))
    return shift(f"{local.year:04d}-{local.month:02d}", -1)


def build_automation(job):
    @dg.schedule(
        job=job,
        cron_schedule="0 6 5 * *",
        execution_timezone=BUREAU_TIME_ZONE,
        name="monthly_schedule",
        description="The 5th of each month at 06:00 (Asia/Shanghai) runs the month before: "
        "departments deliver in the first days of the month.",
    )
    def monthly_schedule(
        context: dg.ScheduleEvaluationContext,
    ) -> dg.RunRequest | dg.SkipReason:
        period = period_before(context.scheduled_execution_time)
        problem = _calendar_problem(period)
        if problem:
            return dg.SkipReason(problem)
        return dg.RunRequest(partition_key=period, run_key=f"schedule:{period}")

    @dg.sensor(
        job=job,
        minimum_interval_seconds=300,
        name="inbox_sensor",
        description="Starts a period's run once all four sources have arrived in the inbox, and again "
        "only when a file is added or changed.",
    )
    def inbox_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        seen = json.loads(context.cursor) if context.cursor else {}
        known = set(periods.get_partition_keys())
        requests, problems = [], []
        for period, fingerprint in complete_periods(Paths.resolve().inbox).items():
            if period not in known or seen.get(period) == fingerprint:
                continue
            problem = _calendar_problem(period)
            if problem:  # not marked seen: it starts once the configuration has the year
                context.log.warning(problem)  # on the tick's log, beside other periods' runs
                problems.append(problem)
                continue
            seen[period] = fingerprint
            requests.append(
                dg.RunRequest(partition_key=period, run_key=f"{period}:{fingerprint[:16]}")
            )
        return dg.SensorResult(
            run_requests=requests,
            skip_reason="; ".join(problems) if problems and not requests else None,
            cursor=json.dumps(seen, sort_keys=True),
        )

    return monthly_schedule, inbox_sensor


def _calendar_problem(period: str) -> str | None:
    """Why the period cannot run yet (its due dates fall in a year without a holiday
    schedule), shown on the tick in the Dagster UI instead of a run that fails after its
    ingest; or None."""
    try:
        check_calendar([period])
    except Refused as refused:
        return refused.problems[0]
    return None
