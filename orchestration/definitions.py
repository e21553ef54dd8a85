"""The Dagster code location: `doudi ui` and `doudi run` load exactly this."""

import dagster as dg

from orchestration.crossmatch_assets import lead_states
from orchestration.ingest_assets import ingest_assets
from orchestration.resources import DoudiResource

all_assets = [*ingest_assets, lead_states]

monthly_job = dg.define_asset_job(
    "monthly", selection=dg.AssetSelection.all(), executor_def=dg.in_process_executor
)

defs = dg.Definitions(
    assets=all_assets,
    jobs=[monthly_job],
    resources={"doudi": DoudiResource()},
)
