"""The asset graph: continuous lineage from the extracts to the marts, groups from dbt folders."""

import dagster as dg

from orchestration.definitions import defs

GRAPH = defs.resolve_asset_graph()


def _parents(*key):
    return {p.to_user_string() for p in GRAPH.get(dg.AssetKey(list(key))).parent_keys}


def test_dbt_models_are_keyed_and_grouped_by_their_folder():
    for key in GRAPH.get_all_asset_keys():
        path = key.path
        if path[0] in ("staging", "intermediate", "marts"):
            assert GRAPH.get(key).group_name == path[0], key


def test_lineage_runs_from_the_ingest_assets_to_the_marts():
    assert _parents("staging", "stg_hukou__residents") == {"ingested/hukou"}
    assert _parents("staging", "stg_lowincome__invalid_members") == {
        "ingested/lowincome_invalid_ids"
    }
    assert _parents("staging", "stg_leads__lead_states") == {"leads/lead_states"}
    assert _parents("staging", "stg_exports__workbook_audits") == {"exports/county_workbooks"}
    assert "ingested/feedback" in _parents("leads", "lead_states")
    assert _parents("marts", "lead_counts") == {"staging/stg_leads__lead_states"}


def test_every_period_dependent_asset_is_monthly_partitioned():
    for key in GRAPH.get_all_asset_keys():
        partitions = GRAPH.get(key).partitions_def
        assert partitions is not None, key
        assert "2026-10" in partitions.get_partition_keys()


def test_every_source_has_a_blocking_gate_and_a_warnings_check():
    checks = {(c.asset_key.to_user_string(), c.name) for c in GRAPH.asset_check_keys}
    for source in ("hukou", "medical", "disability", "lowincome"):
        assert (f"ingested/{source}", "blocking_gate") in checks
        assert (f"ingested/{source}", "warnings") in checks
