"""One asset per source: read the period's folder, normalise, quarantine, load."""

import dagster as dg
import polars as pl

from doudi_core.period import as_of
from ingest.arrivals import is_hidden
from ingest.delivery import ingest_source
from ingest.files import FilesRejected
from ingest.load import clear_period, latest_delivery, load_delivery
from ingest.sources import SOURCES
from orchestration.partitions import periods
from orchestration.resources import DoudiResource
from workbooks.feedback import delivery as read_feedback
from workbooks.feedback import issued_leads


def markdown_table(frame: pl.DataFrame) -> str:
    with pl.Config(
        tbl_formatting="MARKDOWN",
        tbl_hide_column_data_types=True,
        tbl_hide_dataframe_shape=True,
        tbl_rows=-1,
        tbl_cols=-1,
        fmt_str_lengths=200,
    ):
        return str(frame)


# Tables a source's delivery writes besides its own (each its own asset, for lineage into dbt).
SIDE_TABLES = {
    "lowincome": {
        "lowincome_invalid_ids": "Low-income members quarantined for their identity "
        "number; they still raise IDENTITY_MISMATCH leads."
    }
}


def _build(source: str) -> dg.AssetsDefinition:
    schema = SOURCES[source]
    main = dg.AssetSpec(
        ["ingested", source],
        group_name="ingest",
        description=f"{schema.label}: the period's delivery, normalised and pseudonymised "
        f"({'full snapshot' if schema.snapshot else 'settlement stream'}); rejected rows quarantined.",
        kinds={"polars", "duckdb"},
    )
    sides = [
        dg.AssetSpec(["ingested", table], group_name="ingest", description=text, kinds={"duckdb"})
        for table, text in SIDE_TABLES.get(source, {}).items()
    ]

    @dg.multi_asset(name=source, specs=[main, *sides], partitions_def=periods)
    def _asset(context: dg.AssetExecutionContext, doudi: DoudiResource):
        yield _ingest(context, doudi, source)
        for table in SIDE_TABLES.get(source, {}):
            yield dg.MaterializeResult(asset_key=["ingested", table])

    return _asset


def _ingest(
    context: dg.AssetExecutionContext, doudi: DoudiResource, source: str
) -> dg.MaterializeResult:
    schema = SOURCES[source]
    period = context.partition_key
    folder = doudi.inbox_path / period / source
    files = [p for p in folder.iterdir() if not is_hidden(p)] if folder.is_dir() else []
    if not files:
        with doudi.connect() as con:
            clear_period(con, source, period)
            stands = latest_delivery(con, source, period)
        if schema.snapshot and stands is None:
            raise dg.Failure(
                description=f"{source}: no delivery in {folder} and no earlier snapshot to stand in",
                allow_retries=False,
            )
        note = (
            f"no new delivery for {period}; the {stands} snapshot stands"
            if schema.snapshot
            else f"no new settlements delivered for {period}"
        )
        context.log.warning(f"{source}: {note}")
        return dg.MaterializeResult(
            asset_key=["ingested", source],
            metadata={
                "delivery": note,
                "rows_read": 0,
                "rows_loaded": 0,
                "rows_quarantined": 0,
            },
        )
    try:
        delivery = ingest_source(
            source, period, folder, doudi.inbox_path, doudi.key(), doudi.out_path / "spool"
        )
    except FilesRejected as rejected:  # one line per file: the run names them all
        raise dg.Failure(
            description="\n".join(
                f"{source}: input rejected: {r.path.name}: {r.reason}" for r in rejected.rejections
            ),
            metadata={"files": [str(r.path) for r in rejected.rejections]},
            allow_retries=False,
        ) from rejected
    for warning in delivery.warnings:
        context.log.warning(f"{source}: {warning}")
    try:
        with doudi.connect() as con:
            load_delivery(con, delivery)
    finally:
        delivery.discard_spool()
    totals = (
        delivery.accounting.select("rows_read", "rows_loaded", "rows_quarantined")
        .sum()
        .row(0, named=True)
    )
    reasons = delivery.vault["quarantine"].group_by("reason").len().sort("reason").rows()
    return dg.MaterializeResult(
        asset_key=["ingested", source],
        metadata={
            "delivery": f"{len(delivery.files)} files",
            **{k: dg.MetadataValue.int(int(v)) for k, v in totals.items()},
            "quarantined_by_reason": dg.MetadataValue.json(dict(reasons)),
            "files": dg.MetadataValue.md(
                markdown_table(delivery.accounting.drop("period", "source"))
            ),
        },
    )


ingest_assets = [_build(source) for source in SOURCES]


@dg.asset(
    key=["ingested", "feedback"],
    group_name="ingest",
    partitions_def=periods,
    kinds={"excel", "duckdb"},
    description="Caseworkers' returned county workbooks (INBOX/<period>/feedback/): 线索编号 and the "
    "verification columns, validated row by row; rejected rows quarantined with a reason.",
)
def feedback(context: dg.AssetExecutionContext, doudi: DoudiResource) -> dg.MaterializeResult:
    period = context.partition_key
    folder = doudi.inbox_path / period / "feedback"
    with doudi.connect() as con:
        returned = read_feedback(folder, period, issued_leads(con, period), as_of(period))
        load_delivery(con, returned)
    for warning in returned.warnings:
        context.log.warning(f"feedback: {warning}")
    answers = returned.table("feedback")
    return dg.MaterializeResult(
        metadata={
            "files": dg.MetadataValue.int(returned.accounting.height),
            "answers_accepted": dg.MetadataValue.int(answers.height),
            "closing": dg.MetadataValue.int(int(answers["closes"].sum())),
            "rows_rejected": dg.MetadataValue.int(returned.vault["quarantine"].height),
            "results": dg.MetadataValue.json(
                dict(answers.group_by("result").len().sort("result").rows())
            ),
        }
    )
