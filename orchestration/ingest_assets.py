"""One asset per source: read the period's folder, normalise, quarantine, load."""

import dagster as dg
import polars as pl

from doudi_core.period import as_of
from ingest.arrivals import is_hidden
from ingest.delivery import ingest_source
from ingest.files import FilesRejected
from ingest.load import NothingStands, load_delivery, stand_in
from orchestration.partitions import periods
from orchestration.resources import DoudiResource
from sources import SOURCES
from sources.contract import Source
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


def _build(source: Source) -> dg.AssetsDefinition:
    main = dg.AssetSpec(
        ["ingested", source.name],
        group_name="ingest",
        description=f"{source.label}: the period's delivery, normalised and pseudonymised "
        f"({'full snapshot' if source.snapshot else 'stream of records'}); rejected rows quarantined.",
        kinds={"polars", "duckdb"},
    )
    sides = [  # written by the same delivery, each its own asset for lineage into dbt
        dg.AssetSpec(
            ["ingested", side.table],
            group_name="ingest",
            description=side.description,
            kinds={"duckdb"},
        )
        for side in [source.invalid_numbers]
        if side
    ]

    @dg.multi_asset(name=source.name, specs=[main, *sides], partitions_def=periods)
    def _asset(context: dg.AssetExecutionContext, doudi: DoudiResource):
        yield _ingest(context, doudi, source)
        for side in sides:
            yield dg.MaterializeResult(asset_key=side.key)

    return _asset


def _ingest(
    context: dg.AssetExecutionContext, doudi: DoudiResource, source: Source
) -> dg.MaterializeResult:
    period = context.partition_key
    folder = doudi.inbox_path / period / source.name
    if not (folder.is_dir() and any(not is_hidden(p) for p in folder.iterdir())):
        try:
            with doudi.connect() as con:
                note = stand_in(con, source, period)
        except NothingStands as error:
            raise dg.Failure(description=str(error), allow_retries=False) from error
        context.log.warning(f"{source.name}: {note}")
        return dg.MaterializeResult(
            asset_key=["ingested", source.name],
            metadata={"delivery": note, "rows_read": 0, "rows_loaded": 0, "rows_quarantined": 0},
        )
    try:
        delivery = ingest_source(
            source,
            period,
            folder,
            doudi.inbox_path,
            doudi.key(),
            doudi.out_path / "spool",
            reuse=not doudi.recompute,
        )
    except FilesRejected as rejected:  # one line per file: the run names them all
        raise dg.Failure(
            description="\n".join(
                f"{source.name}: input rejected: {r.path.name}: {r.reason}"
                for r in rejected.rejections
            ),
            metadata={"files": [str(r.path) for r in rejected.rejections]},
            allow_retries=False,
        ) from rejected
    for warning in delivery.warnings:
        context.log.warning(f"{source.name}: {warning}")
    try:
        with doudi.connect() as con:
            load_delivery(con, delivery)
    except BaseException:
        delivery.discard_spool()
        raise
    delivery.keep_spool()
    totals = (
        delivery.accounting.select("rows_read", "rows_loaded", "rows_quarantined", "rows_skipped")
        .sum()
        .row(0, named=True)
    )
    reasons = delivery.vault["quarantine"].group_by("reason").len().sort("reason").rows()
    return dg.MaterializeResult(
        asset_key=["ingested", source.name],
        metadata={
            "delivery": f"{len(delivery.files)} files",
            **{k: dg.MetadataValue.int(int(v)) for k, v in totals.items()},
            "rows_reused": dg.MetadataValue.int(delivery.rows_reused),
            "quarantined_by_reason": dg.MetadataValue.json(dict(reasons)),
            "files": dg.MetadataValue.md(
                markdown_table(delivery.accounting.drop("period", "source"))
            ),
        },
    )


ingest_assets = [_build(source) for source in SOURCES.values()]


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
