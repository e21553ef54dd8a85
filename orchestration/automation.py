"""When the monthly job runs: on a schedule, and when a period's extracts have all arrived."""

import json

import dagster as dg

from doudi_core.settings import Paths
from ingest.arrivals import complete_periods
from orchestration.partitions import periods


def build_automation(job):
    # the 5th of each month at 06:00 runs the month before (departments deliver in the first days)
    schedule = dg.build_schedule_from_partitioned_job(
        job, day_of_month=5, hour_of_day=6, name="monthly_schedule"
    )

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
        requests = []
        for period, fingerprint in complete_periods(Paths.resolve().inbox).items():
            if period not in known or seen.get(period) == fingerprint:
                continue
            seen[period] = fingerprint
            requests.append(
                dg.RunRequest(partition_key=period, run_key=f"{period}:{fingerprint[:16]}")
            )
        return dg.SensorResult(run_requests=requests, cursor=json.dumps(seen, sort_keys=True))

    return schedule, inbox_sensor
