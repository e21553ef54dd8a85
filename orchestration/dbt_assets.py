"""The reporting marts: dbt models as Dagster assets, dbt tests as asset checks.

Sources map onto the assets that write them (meta.dagster.asset_key in the dbt
YAML); groups and key prefixes come from each model's dbt folder/schema.
"""

import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from doudi_core.files import written_atomically
from orchestration.dbt_project import dbt_project, ensure_manifest
from orchestration.partitions import periods
from orchestration.resources import DoudiResource
from sources import SOURCES

PARTIAL_PARSE = "partial_parse.msgpack"


class DoudiDbtTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "model":
            return dg.AssetKey([dbt_resource_props["config"]["schema"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "model":
            return dbt_resource_props["fqn"][1]  # the folder: staging, intermediate, marts
        return super().get_group_name(dbt_resource_props)


def dbt_vars(config) -> dict:
    """What the marts take from config/doudi.toml: the same figures and lists as the rules."""
    wages = config.raw["minimum_wage_yuan"]
    living = config.rule("DIS_LIVING_SUBSIDY_MISSING")
    care = config.rule("DIS_CARE_SUBSIDY_MISSING")
    coverage = config.raw["elder_care_coverage"]
    return {
        "minimum_wage_yuan": config.county_figures("minimum_wage_yuan"),
        "minimum_wage_placeholder": bool(wages.get("placeholder", False)),
        "care_standard_shares": config.raw["care_standard_shares"],
        "living_subsidy": {
            "categories": living["categories"],
            "excluded_member_categories": living["excluded_member_categories"],
        },
        "care_subsidy": {
            "grades": care["grades"],
            "grade_three_categories": care["grade_three_categories"],
        },
        "deregistration_days": config.raw["deaths_reported"]["deregistration_days"],
        "elder_care_targets": {
            "care_subsidy": coverage["care_subsidy_target"],
            "assessment": coverage["assessment_target"],
            "visit": coverage["visit_target"],
        },
        # the staging models' code-table tests, from the source declarations (sources/)
        "code_tables": {name: source.accepted_values for name, source in SOURCES.items()},
    }


@dbt_assets(
    manifest=ensure_manifest(),
    partitions_def=periods,
    backfill_policy=dg.BackfillPolicy.multi_run(1),  # one period per run, like every other asset
    dagster_dbt_translator=DoudiDbtTranslator(),
)
def doudi_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, doudi: DoudiResource):
    # the dbt profile reads DOUDI_WAREHOUSE: point it at this run's warehouse; the staging
    # key tests read DOUDI_PERIOD: the period this run loaded
    os.environ["DOUDI_WAREHOUSE"] = doudi.warehouse
    os.environ["DOUDI_PERIOD"] = context.partition_key
    args = ["build", "--vars", json.dumps(dbt_vars(doudi.config()), ensure_ascii=False)]
    if doudi.recompute:  # the per-period marts built whole, not for this period alone
        args.append("--full-refresh")
    invocation = dbt.cli(
        args, context=context, target_path=build_folder(doudi.out_path, context.partition_key)
    )
    yield from invocation.stream()
    keep_parse_state(invocation.target_path)


def build_folder(out: Path, period: str) -> Path:
    """OUT/dbt/<period>/, emptied first: one period's compiled SQL, results and dbt.log.

    dagster-dbt's default is a new folder per build inside the project's target/, which
    grows without end.
    """
    folder = out / "dbt" / period
    if folder.exists():
        shutil.rmtree(folder)
    return folder


def keep_parse_state(invocation_target: Path) -> None:
    """Keep this build's parse state where dagster-dbt seeds the next build from.

    Each build runs in its own target folder (`build_folder`), seeded with the
    project target's partial_parse.msgpack; that one comes from `dbt parse` at
    set-up, with other vars and warehouse path, so every build re-parsed the
    project (~3 s). dbt itself re-parses whatever the kept state no longer matches.
    """
    state = invocation_target / PARTIAL_PARSE
    if state.exists():
        kept = dbt_project.project_dir / dbt_project.target_path / PARTIAL_PARSE
        with written_atomically(kept) as staged:  # a build starting now reads old or new
            shutil.copyfile(state, staged)
