"""Split the period's leads file by county and write the workbooks, with an audit row each."""

from __future__ import annotations

import csv
import datetime as dt
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import duckdb
import polars as pl

from crossmatch.context import age_at
from crossmatch.workdays import WorkCalendar
from doudi_core.config import Config
from doudi_core.places import COUNTIES
from doudi_core.warehouse import append_rows, query_or_empty
from ingest import identity
from repair.step import correction
from workbooks.writer import WorkbookJob, workbook_path, write_county_workbook

WORKBOOK_PROCESSES = 2
PARALLEL_LEADS = 5_000  # see _write_all
TOWNS_FILE = Path(__file__).resolve().parent.parent / "config" / "towns.csv"


def town_names(path: Path = TOWNS_FILE) -> dict[str, str]:
    with path.open(encoding="utf-8") as handle:
        return {row["town_code"]: row["town_name"] for row in csv.DictReader(handle)}


def workbook_rows(
    leads: pl.DataFrame, villages: pl.DataFrame, config: Config, as_of: dt.date
) -> pl.DataFrame:
    """The leads file plus what caseworkers see besides: rule name, sex, age, village."""
    names = {code: config.rule(code)["name"] for code in config.rule_codes}
    number = pl.col("id_number")
    born = identity.birth_date(number)
    # not from an as-delivered invalid number whose birth digits are no date a person has
    valid = (
        number.str.contains(r"^\d{17}[\dX]$")
        & (born >= pl.lit(dt.date(1900, 1, 1)))
        & (born <= pl.lit(as_of))
    ).fill_null(False)
    return leads.join(villages, on="lead_id", how="left").with_columns(
        rule_name=pl.col("rule_code").replace_strict(names, return_dtype=pl.String),
        sex=pl.when(valid).then(identity.sex(number)),
        age=pl.when(valid).then(age_at(born, as_of).cast(pl.Int64)),
    )


def with_repairs(
    con: duckdb.DuckDBPyConnection, leads: pl.DataFrame, period: str, threshold: float
) -> pl.DataFrame:
    """触发依据 of an IDENTITY_MISMATCH lead adds the register person it most likely means
    (outputs.md), e.g. 疑似公安户籍：张玮 321302…（匹配度 0.97：姓名同音；…），应更正姓名."""
    suggestions = query_or_empty(
        con,
        "vault.repair_suggestions",
        "SELECT lead_id, id_number, name, suggested_id_number, suggested_name, score, reasons"
        " FROM vault.repair_suggestions"
        " WHERE period = ? AND score >= ?",
        [period, threshold],
        {
            "lead_id": pl.String,
            "id_number": pl.String,
            "name": pl.String,
            "suggested_id_number": pl.String,
            "suggested_name": pl.String,
            "score": pl.Float64,
            "reasons": pl.String,
        },
    )
    shown = (pl.col("score") * 100).floor() / 100  # 0.999 is shown 0.99, never rounded up
    text = suggestions.select(
        "lead_id",
        repair_text=pl.concat_str(
            pl.lit("疑似公安户籍："),
            "suggested_name",
            pl.lit(" "),
            "suggested_id_number",
            pl.lit("（匹配度 "),
            shown.map_elements(lambda v: f"{v:.2f}", return_dtype=pl.String),
            pl.lit("："),
            "reasons",
            pl.lit("），应"),
            correction(),
        ),
    )
    return (
        leads.join(text, on="lead_id", how="left")
        .with_columns(
            evidence=pl.when(pl.col("repair_text").is_not_null())
            .then(pl.concat_str("evidence", pl.lit("；"), "repair_text"))
            .otherwise("evidence")
        )
        .drop("repair_text")
    )


def villages(con: duckdb.DuckDBPyConnection, period: str) -> pl.DataFrame:
    """Each listed lead's 村（社区）: its household's in the low-income database, else the
    village of the person's hukou address (where one can be read), else none."""
    return con.sql(
        """
        WITH lowincome AS (
            SELECT household_id, min(village) AS village FROM ingested.lowincome
            WHERE period = (SELECT max(period) FROM ingested.lowincome WHERE period <= $period)
            GROUP BY household_id
        ),
        hukou AS (
            SELECT person_key, village FROM ingested.hukou
            WHERE period = (SELECT max(period) FROM ingested.hukou WHERE period <= $period)
        )
        SELECT s.lead_id, coalesce(l.village, h.village) AS village
        FROM leads.lead_states s
        LEFT JOIN lowincome l USING (household_id)
        LEFT JOIN hukou h USING (person_key)
        WHERE s.period = $period AND s.listed_status IS NOT NULL
        """,
        params={"period": period},
    ).pl()


def _write_all(jobs: list[WorkbookJob]) -> list[str]:
    """Write the workbooks; their digests in the jobs' order.

    XlsxWriter is pure Python, one core per workbook: two processes, the biggest county
    first, keep both cores busy. Below PARALLEL_LEADS leads, starting the processes costs
    more than it saves.
    """
    if sum(job.leads.height for job in jobs) < PARALLEL_LEADS or len(jobs) < 2:
        return [write_county_workbook(job) for job in jobs]
    largest_first = sorted(range(len(jobs)), key=lambda i: -jobs[i].leads.height)
    spawn = multiprocessing.get_context("spawn")  # never fork a process running polars threads
    with ProcessPoolExecutor(max_workers=WORKBOOK_PROCESSES, mp_context=spawn) as pool:
        futures = {i: pool.submit(write_county_workbook, jobs[i]) for i in largest_first}
        return [futures[i].result() for i in range(len(jobs))]


def export_period(
    con: duckdb.DuckDBPyConnection,
    leads: pl.DataFrame,
    out: Path,
    period: str,
    as_of: dt.date,
    config: Config,
    written_at: dt.datetime,
) -> pl.DataFrame:
    """Write one workbook per county that has leads; returns (and records) the audit rows."""
    leads = with_repairs(con, leads, period, config.raw["repair"]["threshold"])
    rows = workbook_rows(leads, villages(con, period), config, as_of)
    towns = town_names()
    rules = tuple(config.rule(code)["name"] for code in config.rule_codes)  # catalogue order
    checks = tuple(config.rule(code)["check"] for code in config.rule_codes)
    marks = config.raw["workbooks"]
    calendar = WorkCalendar.of(config)
    due_soon = calendar.add_working_days(as_of, marks["due_soon_working_days"])
    verify = as_of + dt.timedelta(days=marks["return_window_days"])
    jobs = []
    for county in sorted(rows["county_code"].drop_nulls().unique().to_list()):
        name = COUNTIES.get(county, county)
        path = workbook_path(out, period, county, name)
        county_leads = rows.filter(pl.col("county_code") == county)
        jobs.append(
            WorkbookJob(
                path,
                county_leads,
                period,
                county,
                name,
                towns,
                as_of,
                rules,
                due_soon,
                verify,
                checks,
                marks["return_to"],
            )
        )
    audit = [
        {
            "period": period,
            "county_code": job.county_code,
            "file": str(job.path.relative_to(out)),
            "rows": job.leads.height,
            "sha256": digest,
            "written_at": written_at,
        }
        for job, digest in zip(jobs, _write_all(jobs), strict=True)
    ]
    frame = pl.DataFrame(
        audit,
        schema={
            "period": pl.String,
            "county_code": pl.String,
            "file": pl.String,
            "rows": pl.Int64,
            "sha256": pl.String,
            "written_at": pl.Datetime("us"),
        },
    )
    for stale in sorted(
        (out / "exports" / period).glob("*.xlsx")
    ):  # counties with no leads any more
        if str(stale.relative_to(out)) not in set(frame["file"]):
            stale.unlink()
    append_rows(con, "exports.workbook_audit", frame)  # append-only: every write is recorded
    return frame
