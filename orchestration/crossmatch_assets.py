"""The cross-match: rules -> lead states -> the leads file."""

import dagster as dg
import polars as pl

from crossmatch import lifecycle, publish
from crossmatch.monthly import cross_match
from crossmatch.workdays import UnknownCalendarYear
from orchestration.partitions import periods
from orchestration.resources import DoudiResource
from sources import SOURCES

INGESTED = [
    *(dg.AssetKey(["ingested", table]) for s in SOURCES.values() for table in s.tables),
    dg.AssetKey(["ingested", "feedback"]),
]


def _spec(table: str, kinds: set[str], description: str) -> dg.AssetSpec:
    """A table the cross-match writes (schema `leads`, pseudonymous)."""
    return dg.AssetSpec(
        key=["leads", table],
        group_name="crossmatch",
        deps=INGESTED,
        kinds=kinds,
        description=description,
    )


LEAD_STATES = _spec(
    "lead_states",
    {"polars", "duckdb", "parquet"},
    "Every rule of rules.md over the period's inputs; lead identity and lifecycle "
    "(新增/持续/closed); writes leads.lead_states and OUT/leads/<period>.parquet.",
)
ELDER_COVERAGE_PEOPLE = _spec(
    "elder_coverage_people",
    {"polars", "duckdb"},
    "The people each elder-care rule weighed and the facts it weighed (pseudonymous), saved "
    "with the lead states: what the elder_care_coverage mart counts.",
)
DEATH_FACTS = _spec(
    "death_facts",
    {"polars", "duckdb"},
    "Every death known at the period's as_of, from the register and the funeral homes "
    "(pseudonymous), saved with the lead states: what the deaths_reported mart counts.",
)


@dg.multi_asset(
    name="leads__lead_states",
    specs=[LEAD_STATES, ELDER_COVERAGE_PEOPLE, DEATH_FACTS],
    partitions_def=periods,
)
def lead_states(context: dg.AssetExecutionContext, doudi: DoudiResource):
    period = context.partition_key
    config = doudi.config()
    try:
        result = cross_match(doudi.connect, period, config, reuse=not doudi.recompute)
    except UnknownCalendarYear as error:
        raise dg.Failure(description=f"due dates: {error}", allow_retries=False) from error
    path = doudi.out_path / "leads" / f"{period}.parquet"
    publish.write_atomically(result.leads_file, path)
    listed, states = result.listed, result.states
    by_rule = dict(listed.group_by("rule_code").len().sort("rule_code").rows())
    by_county = dict(listed.group_by("county_code").len().sort("county_code").rows())
    by_status = dict(listed.group_by("listed_status").len().sort("listed_status").rows())
    yield dg.MaterializeResult(
        asset_key=ELDER_COVERAGE_PEOPLE.key,
        metadata={"people": dg.MetadataValue.int(result.elder_coverage_people)},
    )
    yield dg.MaterializeResult(
        asset_key=DEATH_FACTS.key, metadata={"deaths": dg.MetadataValue.int(result.deaths)}
    )
    yield dg.MaterializeResult(
        asset_key=LEAD_STATES.key,
        metadata={
            "leads": dg.MetadataValue.int(listed.height),
            "new": dg.MetadataValue.int(by_status.get(lifecycle.NEW, 0)),
            "continuing": dg.MetadataValue.int(by_status.get(lifecycle.CONTINUING, 0)),
            "closed_this_period": dg.MetadataValue.int(
                states.filter(pl.col("closed_period") == period).height
            ),
            **{f"rule/{code}": dg.MetadataValue.int(n) for code, n in by_rule.items()},
            **{f"county/{code}": dg.MetadataValue.int(n) for code, n in by_county.items() if code},
            "leads_file": dg.MetadataValue.path(str(path)),
            **{
                f"seconds/{code}": dg.MetadataValue.float(round(t, 3))
                for code, t in result.seconds.items()
            },
            **{
                f"skipped/{code}": dg.MetadataValue.text(why)
                for code, why in result.skipped.items()
            },
            "rule_version": config.version,
        },
    )
