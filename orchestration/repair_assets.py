"""Identity repair: suggestions for the period's IDENTITY_MISMATCH leads (vault, and the PII
file OUT/repairs/<period>.parquet)."""

import dagster as dg

from orchestration.partitions import periods
from orchestration.resources import DoudiResource
from repair.step import repair_period


@dg.asset(
    key=["vault", "repair_suggestions"],
    group_name="repair",
    deps=[dg.AssetKey(["leads", "lead_states"])],
    partitions_def=periods,
    kinds={"splink", "duckdb", "parquet"},
    description="For each IDENTITY_MISMATCH lead, the register person the low-income record "
    "most likely means, with a calibrated score and the reasons (outputs.md); fits the model "
    "on the first period (vault.repair_models), scores only new or changed records after. "
    "Restricted: vault.repair_suggestions and OUT/repairs/<period>.parquet.",
)
def repair_suggestions(
    context: dg.AssetExecutionContext, doudi: DoudiResource
) -> dg.MaterializeResult:
    period = context.partition_key
    with doudi.connect() as con:
        result = repair_period(con, period, doudi.config().raw["repair"], doudi.out_path)
    return dg.MaterializeResult(
        metadata={
            "mismatches": dg.MetadataValue.int(result.mismatches),
            "suggestions": dg.MetadataValue.int(result.suggestions),
            **{f"kind/{k}": dg.MetadataValue.int(n) for k, n in result.by_kind.items()},
            "scored": dg.MetadataValue.int(result.scored),
            "reused": dg.MetadataValue.int(result.reused),
            "model_version": result.model_version,
            "fitted": dg.MetadataValue.bool(result.fitted),
            "seconds": dg.MetadataValue.float(round(result.seconds, 2)),
            "file": dg.MetadataValue.path(str(result.path)),
        }
    )
