"""The city's counties (extracts.md, reference data): the only valid county codes."""

from __future__ import annotations

COUNTIES: dict[str, str] = {
    "321302": "宿城区",
    "321311": "宿豫区",
    "321322": "沭阳县",
    "321323": "泗阳县",
    "321324": "泗洪县",
    "321371": "市经开区",
    "321372": "湖滨新区",
    "321373": "洋河新区",
}

# GB/T 2260 province-level codes: the first two digits of a valid identity number.
PROVINCE_CODES: frozenset[str] = frozenset(
    [
        "11",
        "12",
        "13",
        "14",
        "15",
        "21",
        "22",
        "23",
        "31",
        "32",
        "33",
        "34",
        "35",
        "36",
        "37",
        "41",
        "42",
        "43",
        "44",
        "45",
        "46",
        "50",
        "51",
        "52",
        "53",
        "54",
        "61",
        "62",
        "63",
        "64",
        "65",
        "71",
        "81",
        "82",
    ]
)


def county_name(code: str) -> str:
    return COUNTIES[code]
