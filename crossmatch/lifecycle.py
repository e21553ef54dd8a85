"""Lead identity and lifecycle (rules.md): stable 线索编号, 新增/持续, closing and re-raising.

State is kept per period in `leads.lead_states`: one row per (rule, person) for
its latest episode. A period's state derives from the previous period's state,
this period's rule hits and this period's caseworker closures, so re-running a
period gives the same result.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import polars as pl

from crossmatch.workdays import WorkCalendar
from doudi_core.config import Config

NEW, CONTINUING = "新增", "持续"
OPEN, VERIFIED, GONE = "open", "closed_verified", "closed_condition_gone"
ABBREVIATIONS = {
    "MED_OOP_UNCOVERED": "MOU",
    "MED_OOP_BELOW_LINE": "MBL",
    "DIS_SEVERE_UNCOVERED": "DSU",
    "DIS_LIVING_SUBSIDY_MISSING": "DLS",
    "DIS_CARE_SUBSIDY_MISSING": "DCS",
    "DECEASED_ON_ROLL": "DOR",
    "MOVED_OUT_ON_ROLL": "MOR",
    "IDENTITY_MISMATCH": "IDM",
    "CHILD_UNSUPPORTED": "CHU",
    "REVIEW_DUE": "RVD",
    "ELDER_ALLOWANCE_MISSING": "EAM",
    "ELDER_CARE_SUBSIDY_MISSING": "ECS",
    "ELDER_VISIT_OVERDUE": "EVO",
    "DECEASED_STILL_PAID": "DSP",
    "FUNERAL_SUBSIDY_MISSING": "FSM",
}
STATE_SCHEMA = {
    "period": pl.String,
    "lead_id": pl.String,
    "rule_code": pl.String,
    "person_key": pl.Int64,
    "episode": pl.Int64,
    "first_period": pl.String,
    "state": pl.String,
    "listed_status": pl.String,
    "priority": pl.String,
    "evidence": pl.String,
    "oop_fen": pl.Int64,
    "listed_oop_fen": pl.Int64,
    "left_condition": pl.Boolean,
    "due_date": pl.Date,
    "closed_period": pl.String,
    "closed_result": pl.String,
    "household_id": pl.String,
    "county_code": pl.String,
    "town_code": pl.String,
    "rule_version": pl.String,
    # the rule's configuration section when the lead was raised (JSON): its thresholds
    "rule_thresholds": pl.String,
}


def lead_id(rule: str, person_key: int, episode: int, first_period: str) -> str:
    """`DOR-2610-3F9A2C1B7E`: rule, month first raised, and a hash of the situation."""
    digest = hashlib.sha256(f"{rule}|{person_key}|{episode}".encode()).hexdigest()[:10].upper()
    return f"{ABBREVIATIONS[rule]}-{first_period[2:4]}{first_period[5:7]}-{digest}"


def material_threshold_fen(rule: str, config: Config) -> int | None:
    """For the medical rules: how much more spending re-raises a closed lead."""
    if rule == "MED_OOP_UNCOVERED":
        return int(config.rule(rule)["threshold_yuan"] * 100)
    if rule == "MED_OOP_BELOW_LINE":
        return int(config.rule("MED_OOP_UNCOVERED")["threshold_yuan"] * 100)
    return None


def advance(
    previous: pl.DataFrame,
    hits: pl.DataFrame,
    closures: pl.DataFrame,
    period: str,
    as_of: dt.date,
    config: Config,
    calendar: WorkCalendar,
    carried: frozenset[str] = frozenset(),
) -> pl.DataFrame:
    """This period's lead states.

    previous: the state rows of the latest earlier period (STATE_SCHEMA)
    hits:     this period's rule hits (crossmatch.rules.evaluate)
    closures: lead_id, result for verification results returned this period that close a lead
    carried:  rules the period could not run (crossmatch.rules.skipped): their leads are
              carried unchanged, the open ones still listed, since nobody knows whether their
              condition still holds
    """
    previous = _latest_episodes(
        previous.with_columns(
            pl.lit(None, dtype=pl.String).alias(c)
            for c in STATE_SCHEMA
            if c not in previous.columns
        )
        .select(list(STATE_SCHEMA))
        .cast(STATE_SCHEMA)
    )
    due = due_dates(as_of, config, calendar)
    closed_now = dict(zip(closures["lead_id"], closures["result"], strict=True))
    hit_rows = {(r["rule_code"], r["person_key"]): r for r in hits.iter_rows(named=True)}
    rows: list[dict] = []
    seen: set[tuple[str, int]] = set()
    for prev in previous.sort("rule_code", "person_key").iter_rows(named=True):
        key = (prev["rule_code"], prev["person_key"])
        seen.add(key)
        hit = hit_rows.get(key)
        state = prev["state"]
        if prev["rule_code"] in carried and not (state == OPEN and prev["lead_id"] in closed_now):
            status = CONTINUING if state == OPEN else None
            rows.append({**prev, "period": period, "listed_status": status})
        elif state == OPEN and prev["lead_id"] in closed_now:
            result = closed_now[prev["lead_id"]]
            closed = _carry(
                prev,
                period,
                VERIFIED,
                closed_period=period,
                closed_result=result,
                left_condition=hit is None,
            )
            rows.append(closed)
            if hit is not None and _reraise(closed, hit, config):  # changed within the period
                rows.append(_new(hit, period, prev["episode"] + 1, due, config))
        elif state == OPEN and hit is not None:
            rows.append(_listed(prev, hit, period, CONTINUING, config))
        elif state == OPEN:
            rows.append(
                _carry(
                    prev,
                    period,
                    GONE,
                    closed_period=period,
                    closed_result="条件消失",
                    left_condition=True,
                )
            )
        elif hit is not None and _reraise(prev, hit, config):
            rows.append(_new(hit, period, prev["episode"] + 1, due, config))
        else:
            rows.append(
                _carry(prev, period, state, left_condition=prev["left_condition"] or hit is None)
            )
    for key in sorted(set(hit_rows) - seen):
        rows.append(_new(hit_rows[key], period, 1, due, config))
    return pl.DataFrame(rows, schema=STATE_SCHEMA).sort("lead_id")


def _latest_episodes(previous: pl.DataFrame) -> pl.DataFrame:
    """One row per (rule, person): its latest episode. A period holds two when a lead was
    answered and, its situation having materially changed in the same period, raised anew."""
    return previous.sort("episode").unique(["rule_code", "person_key"], keep="last")


def thresholds(rule: str, config: Config) -> str:
    """The rule's configuration section as raised under, less the texts shown to caseworkers."""
    texts = ("name", "action", "check")  # what caseworkers read, not what the rule weighs
    section = {k: v for k, v in config.rule(rule).items() if k not in texts}
    for name in section.pop("definitions", []):  # the shared definitions it weighs
        section[name] = config.raw["definitions"][name]
    if rule == "MED_OOP_BELOW_LINE":  # its standard is per county, and its material change
        section["dibao_standard_yuan"] = config.county_figures("dibao_standard_yuan")
        section["threshold_yuan"] = config.rule("MED_OOP_UNCOVERED")["threshold_yuan"]
    return json.dumps(section, ensure_ascii=False, sort_keys=True)


def _reraise(prev: dict, hit: dict, config: Config) -> bool:
    threshold = material_threshold_fen(prev["rule_code"], config)
    if threshold is not None and prev["state"] == VERIFIED:
        return (hit["oop_fen"] or 0) - (prev["listed_oop_fen"] or 0) >= threshold
    return bool(prev["left_condition"])


def due_dates(as_of: dt.date, config: Config, calendar: WorkCalendar) -> dict[bool, dt.date]:
    """Due date by "high priority?": the same for every lead raised in a period (and each costs
    a walk through the holiday calendar, so it is computed once, not once per lead)."""
    days = config.raw["due_dates"]
    return {
        True: calendar.add_working_days(as_of, days["working_days_high_priority"]),
        False: calendar.add_working_days(as_of, days["working_days"]),
    }


def _new(hit: dict, period: str, episode: int, due: dict[bool, dt.date], config: Config) -> dict:
    return {
        "period": period,
        "lead_id": lead_id(hit["rule_code"], hit["person_key"], episode, period),
        "rule_code": hit["rule_code"],
        "person_key": hit["person_key"],
        "episode": episode,
        "first_period": period,
        "state": OPEN,
        "listed_status": NEW,
        "priority": hit["priority"],
        "evidence": hit["evidence"],
        "oop_fen": hit["oop_fen"],
        "listed_oop_fen": hit["oop_fen"],
        "left_condition": False,
        "due_date": due[hit["priority"] == "高"],
        "closed_period": None,
        "closed_result": None,
        "household_id": hit["household_id"],
        "county_code": hit["county_code"],
        "town_code": hit["town_code"],
        "rule_version": config.version,
        "rule_thresholds": thresholds(hit["rule_code"], config),
    }


def _listed(prev: dict, hit: dict, period: str, status: str, config: Config) -> dict:
    """Still open: same 线索编号 and due date; priority and evidence re-evaluated."""
    return {
        **prev,
        "period": period,
        "listed_status": status,
        "priority": hit["priority"],
        "evidence": hit["evidence"],
        "oop_fen": hit["oop_fen"],
        "listed_oop_fen": hit["oop_fen"],
        "household_id": hit["household_id"],
        "county_code": hit["county_code"],
        "town_code": hit["town_code"],
        "rule_version": config.version,
        "rule_thresholds": thresholds(hit["rule_code"], config),
    }


def _carry(prev: dict, period: str, state: str, **changes) -> dict:
    return {**prev, "period": period, "state": state, "listed_status": None, **changes}


def listed(states: pl.DataFrame) -> pl.DataFrame:
    """The leads a period lists: open, raised or still holding this period."""
    return states.filter(pl.col("listed_status").is_not_null())
