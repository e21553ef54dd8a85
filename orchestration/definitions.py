"""The Dagster code location: `doudi ui` and `doudi run` load exactly this."""

import dagster as dg

from doudi_core.settings import Paths
from orchestration.crossmatch_assets import lead_states
from orchestration.export_assets import county_workbooks
from orchestration.ingest_assets import feedback, ingest_assets
from orchestration.quality_checks import quality_checks
from orchestration.resources import DoudiResource

all_assets = [*ingest_assets, feedback, lead_states, county_workbooks]

monthly_job = dg.define_asset_job(
    "monthly", selection=dg.AssetSelection.all(), executor_def=dg.in_process_executor
)

defs = dg.Definitions(
    assets=all_assets,
    asset_checks=quality_checks,
    jobs=[monthly_job],
    # `doudi ui` exports DOUDI_INBOX/OUT/WAREHOUSE before this loads; `doudi run` passes its own
    resources={"doudi": DoudiResource.from_paths(Paths.resolve())},
)
