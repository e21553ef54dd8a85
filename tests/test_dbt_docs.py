"""The dbt project's documentation as the Dagster UI shows it: whole sentences, never cut off.

A YAML flow map (`{name: x, description: Of those, due ...}`) splits an unquoted
description at its first comma, and the UI showed "Of those" (issue 21).
"""

import json

from orchestration.dbt_project import ensure_manifest


def _documented():
    manifest = json.loads(ensure_manifest().read_text(encoding="utf-8"))
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model":
            yield node["name"], node["description"]
            for column, spec in node["columns"].items():
                yield f"{node['name']}.{column}", spec["description"]
    for source in manifest["sources"].values():
        for column, spec in source["columns"].items():
            yield f"{source['source_name']}.{source['name']}.{column}", spec["description"]


def test_every_model_and_column_description_is_a_whole_sentence():
    documented = dict(_documented())
    assert len(documented) > 150
    cut = {name: text for name, text in documented.items() if not text.rstrip().endswith(".")}
    assert cut == {}
