"""Counties (from the contract) and towns (names from synth/data/towns.csv, codes synthetic)."""

from __future__ import annotations

import csv
from pathlib import Path

COUNTIES = {
    "321302": "宿城区",
    "321311": "宿豫区",
    "321322": "沭阳县",
    "321323": "泗阳县",
    "321324": "泗洪县",
    "321371": "市经开区",
    "321372": "湖滨新区",
    "321373": "洋河新区",
}
# Rough shares of the registered population (沭阳 is the largest county).
COUNTY_WEIGHTS = {
    "321302": 0.13,
    "321311": 0.11,
    "321322": 0.33,
    "321323": 0.17,
    "321324": 0.19,
    "321371": 0.02,
    "321372": 0.02,
    "321373": 0.03,
}
# Birth-place regions for people registered here but born elsewhere.
OTHER_REGIONS = ["320102", "320311", "320830", "340104", "370102", "410105", "130102", "510104"]
VILLAGES = list("东西南北中新前后")


def towns() -> list[tuple[str, str, str]]:
    """(town_code, county_code, town_name), codes numbered per county in file order."""
    rows = csv.DictReader((Path(__file__).parent / "data" / "towns.csv").open(encoding="utf-8"))
    counters: dict[str, int] = {}
    result = []
    for row in rows:
        county = row["county_code"]
        counters[county] = counters.get(county, 0) + 1
        result.append((f"{county}{counters[county]:03d}", county, row["town_name"]))
    return result
