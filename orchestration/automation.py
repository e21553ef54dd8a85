"""When the monthly job runs: on a schedule, and when a period's extracts have all arrived."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import dagster as dg

from doudi_core.period import shift
from doudi_core.settings import Paths
from ingest.arrivals import complete_periods
from orchestration.partitions import periods
from orchestration.preflight import calendar_problems

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
        if problems := calendar_problems([period]):
            return dg.SkipReason(problems[0])
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
            if waiting := calendar_problems([period]):  # not marked seen: it starts once
                context.log.warning(waiting[0])  # the year is configured; on the tick's log
                problems += waiting
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
