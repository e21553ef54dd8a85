"""Rosters for partner departments, one asset per configured department (written together:
one manifest lists them)."""

import datetime as dt

import dagster as dg

from doudi_core.config import load_config
from orchestration.crossmatch_assets import INGESTED
from orchestration.partitions import periods
from orchestration.resources import DoudiResource
from rosters.publish import publish_rosters

DEPARTMENTS = load_config().raw["rosters"]["departments"]
ROSTER_SPECS = [
    dg.AssetSpec(
        key=["rosters", department],
        group_name="rosters",
        deps=[*INGESTED, dg.AssetKey(["leads", "lead_states"])],
        kinds={"excel"},
        description=f"The {department} department's roster (outputs.md, 数据转办): only its "
        "columns, 变动 against its previous roster; OUT/rosters/<period>/, in manifest.json "
        "and exports.roster_audit.",
    )
    for department in DEPARTMENTS
]


@dg.multi_asset(name="rosters", specs=ROSTER_SPECS, partitions_def=periods)
def rosters(context: dg.AssetExecutionContext, doudi: DoudiResource):
    period = context.partition_key
    written_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with doudi.connect() as con:
        audit = publish_rosters(con, doudi.out_path, period, doudi.config(), written_at)
    for row in audit.iter_rows(named=True):
        yield dg.MaterializeResult(
            asset_key=["rosters", row["department"]],
            metadata={
                "rows": dg.MetadataValue.int(row["rows"]),
                "file": dg.MetadataValue.path(str(doudi.out_path / row["file"])),
                "sha256": row["sha256"],
            },
        )
