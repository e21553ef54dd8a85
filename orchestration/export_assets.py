"""County workbooks for caseworkers, from the period's leads file."""

import datetime as dt

import dagster as dg
import polars as pl

from doudi_core.period import as_of
from orchestration.partitions import periods
from orchestration.resources import DoudiResource
from workbooks import publications
from workbooks.export import export_period


@dg.asset(
    key=["exports", "county_workbooks"],
    group_name="exports",
    deps=[dg.AssetKey(["leads", "lead_states"]), dg.AssetKey(["vault", "repair_suggestions"])],
    partitions_def=periods,
    kinds={"excel"},
    description="One workbook per county with its leads only (汇总 + one sheet per town, verification "
    "columns with a drop-down), OUT/exports/<period>/; every workbook recorded in exports.workbook_audit, the publication in exports.publications.",
)
def county_workbooks(
    context: dg.AssetExecutionContext, doudi: DoudiResource
) -> dg.MaterializeResult:
    period = context.partition_key
    leads = pl.read_parquet(doudi.out_path / "leads" / f"{period}.parquet")
    written_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with doudi.connect() as con:
        audit = export_period(
            con, leads, doudi.out_path, period, as_of(period), doudi.config(), written_at
        )
        publications.record(con, period, written_at)
    return dg.MaterializeResult(
        metadata={
            "workbooks": dg.MetadataValue.int(audit.height),
            "rows": dg.MetadataValue.int(int(audit["rows"].sum())),
            **{
                f"county/{r['county_code']}": dg.MetadataValue.int(r["rows"])
                for r in audit.iter_rows(named=True)
            },
        }
    )
