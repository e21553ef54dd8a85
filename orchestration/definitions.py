"""The Dagster code location: `doudi ui` and `doudi run` load exactly this."""

import dagster as dg

from doudi_core.settings import Paths
from orchestration.automation import build_automation
from orchestration.crossmatch_assets import lead_states
from orchestration.dbt_assets import doudi_dbt_models
from orchestration.dbt_project import dbt_cli
from orchestration.export_assets import county_workbooks
from orchestration.ingest_assets import feedback, ingest_assets
from orchestration.quality_checks import quality_checks
from orchestration.repair_assets import repair_suggestions
from orchestration.resources import DoudiResource
from orchestration.roster_assets import rosters

all_assets = [
    *ingest_assets,
    feedback,
    lead_states,
    repair_suggestions,
    county_workbooks,
    rosters,
    doudi_dbt_models,
]

monthly_job = dg.define_asset_job(
    "monthly", selection=dg.AssetSelection.all(), executor_def=dg.in_process_executor
)

monthly_schedule, inbox_sensor = build_automation(monthly_job)


def resources_for(doudi: DoudiResource) -> dict:
    """The resources of a run: where things live, and the dbt CLI."""
    return {
        "doudi": doudi,
        "dbt": dbt_cli(),
    }


defs = dg.Definitions(
    assets=all_assets,
    asset_checks=quality_checks,
    jobs=[monthly_job],
    schedules=[monthly_schedule],
    sensors=[inbox_sensor],
    # `doudi ui` exports DOUDI_INBOX/OUT/WAREHOUSE before this loads; `doudi run` passes its own
    resources=resources_for(DoudiResource.from_paths(Paths.resolve())),
)
