"""A period's rosters, start to end: the lists (pseudonymous), the people's identity numbers,
names and documents from the vault, 变动 against each department's previous roster (its rows
kept in `vault.roster_rows`), the files, their audit rows and `manifest.json`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import polars as pl

from crossmatch.context import Context
from crossmatch.inputs import Inputs, deliveries, load_funeral, snapshot
from crossmatch.publish import identify
from doudi_core.config import Config
from doudi_core.files import written_atomically
from doudi_core.period import as_of as period_as_of
from doudi_core.warehouse import append_rows, query_or_empty, replace_rows
from rosters.changes import CHANGE, ID, with_changes
from rosters.lists import ROSTERS
from rosters.writer import write_roster
from workbooks.export import town_names


def roster_inputs(con: duckdb.DuckDBPyConnection, period: str) -> Inputs:
    """What the rosters read: the low-income and disability snapshots, the funeral records,
    and of the hukou only the deaths and the funeral records' people (not six million)."""
    delivered = deliveries(con, period)
    funeral = load_funeral(con, period) if delivered["funeral"] else None
    keys = pl.DataFrame({"person_key": []}, schema={"person_key": pl.Int64})
    con.register("roster_people", keys if funeral is None else funeral.select("person_key"))
    try:
        hukou = snapshot(
            con,
            "hukou",
            period,
            where="status = '死亡' OR person_key IN (SELECT person_key FROM roster_people)",
        )
    finally:
        con.unregister("roster_people")
    lowincome = snapshot(con, "lowincome", period)
    return Inputs(
        period=period,
        as_of=period_as_of(period),
        hukou=hukou,
        disability=snapshot(con, "disability", period),
        lowincome=lowincome,
        lowincome_invalid=lowincome.clear(),
        medical={},  # no roster reads the medical window
        medical_counties=pl.DataFrame(
            schema={"person_key": pl.Int64, "insured_county_code": pl.String}
        ),
        funeral=funeral,
        deliveries=delivered,
    )


def _documents(con: duckdb.DuckDBPyConnection, source: str, key: str, period: str):
    """Each document number the vault holds for `source`, from its latest delivery."""
    return query_or_empty(
        con,
        f"vault.{source}_documents",
        f"SELECT {key}, certificate_no FROM vault.{source}_documents WHERE period <= ? "
        f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY period DESC) = 1",
        [period],
        {key: pl.String if key == "case_no" else pl.Int64, "certificate_no": pl.String},
    )


def _day(column: str) -> pl.Expr:
    return pl.col(column).dt.strftime("%Y-%m-%d")


def shown(
    con: duckdb.DuckDBPyConnection, department: str, listed: pl.DataFrame, period: str
) -> pl.DataFrame:
    """The roster's rows as the department sees them: its columns of outputs.md, as text,
    in identity-number order (变动 comes after)."""
    people = identify(con, listed, period)
    person = [pl.col("id_number").alias("公民身份号码"), pl.col("name").alias("姓名")]
    if department == "medical":
        columns = [
            *person,
            pl.col("category").alias("救助类别"),
            _day("enrol_date").alias("纳入日期"),
        ]
    elif department == "education":
        towns = town_names()
        town = pl.col("town_code").replace_strict(towns, default=pl.col("town_code"))
        columns = [*person, pl.col("category").alias("救助类别"), town.alias("乡镇（街道）")]
    elif department == "disability":
        people = people.join(
            _documents(con, "disability", "certificate_key", period),
            on="certificate_key",
            how="left",
        )
        columns = [
            *person,
            pl.col("certificate_no").alias("残疾人证号"),
            pl.col("category").alias("救助类别"),
            _day("death_date").alias("死亡日期"),
        ]
    else:  # police
        people = people.join(
            _documents(con, "funeral", "case_no", period), on="case_no", how="left"
        )
        columns = [
            *person,
            _day("death_date").alias("死亡日期"),
            pl.col("funeral_home").alias("殡仪馆"),
            pl.col("certificate_no").alias("死亡证明编号"),
        ]
    frame = people.select(columns).cast(pl.String)
    return frame.sort(frame.columns, nulls_last=True)


def previous_roster(con: duckdb.DuckDBPyConnection, department: str, period: str):
    """The department's latest roster of an earlier period, as published, or None before its
    first. Its rows are kept as JSON, since each department's columns differ; polars decodes
    them (a city's 100 k medical rows: 0.09 s, against 0.4 s through `json.loads`)."""
    latest = query_or_empty(
        con,
        "vault.roster_rows",
        "SELECT max(period) AS period FROM vault.roster_rows WHERE department = ? AND period < ?",
        [department, period],
        {"period": pl.String},
    )
    if latest.is_empty() or latest["period"][0] is None:
        return None
    rows = con.sql(
        "SELECT row_json FROM vault.roster_rows WHERE department = ? AND period = ? "
        "AND row_json IS NOT NULL ORDER BY row_number",
        params=[department, latest["period"][0]],
    ).pl()
    if rows.is_empty():
        return pl.DataFrame(schema={ID: pl.String, CHANGE: pl.String})
    columns = json.loads(rows["row_json"][0])  # each row has all the roster's columns, as text
    return rows.select(
        pl.col("row_json").str.json_decode(pl.Struct(dict.fromkeys(columns, pl.String)))
    ).unnest("row_json")


def publish_rosters(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    period: str,
    config: Config,
    written_at: dt.datetime,
) -> pl.DataFrame:
    """Write every configured department's roster and the manifest; returns the audit rows."""
    spec = config.raw["rosters"]
    ctx = Context(roster_inputs(con, period), config)
    folder = out / "rosters" / period
    audit = []
    for department in spec["departments"]:
        settings = spec[department]
        listed = ROSTERS[department](ctx, settings)
        rows = with_changes(
            shown(con, department, listed, period), previous_roster(con, department, period)
        )
        _remember(con, department, period, rows)
        title = f"{settings['name']}数据转办名单（{period}，共 {rows.height} 行）"
        path = folder / f"{department}_{settings['name']}.xlsx"
        digest = write_roster(path, rows, title, ctx.inputs.as_of)
        audit.append(
            {
                "period": period,
                "department": department,
                "file": str(path.relative_to(out)),
                "rows": rows.height,
                "sha256": digest,
                "written_at": written_at,
            }
        )
    frame = pl.DataFrame(audit, schema_overrides={"written_at": pl.Datetime("us")})
    _manifest(folder, period, frame)
    append_rows(con, "exports.roster_audit", frame)  # append-only, like the workbooks'
    return frame


def _remember(con: duckdb.DuckDBPyConnection, department: str, period: str, rows: pl.DataFrame):
    """The roster as published, for next month's 变动 (vault: it names people). An empty
    roster keeps one row without JSON: next month must know it was published, with nobody."""
    kept = rows.select(
        pl.lit(period).alias("period"),
        pl.lit(department).alias("department"),
        pl.int_range(pl.len()).alias("row_number"),
        pl.struct(pl.all()).struct.json_encode().alias("row_json"),
    )
    if kept.is_empty():
        kept = pl.DataFrame(
            {
                "period": [period],
                "department": [department],
                "row_number": [-1],
                "row_json": [None],
            },
            schema=kept.schema,
        )
    replace_rows(con, "vault.roster_rows", kept, {"period": period, "department": department})


def _manifest(folder: Path, period: str, audit: pl.DataFrame) -> None:
    entries = [
        {
            "file": Path(r["file"]).name,
            "department": r["department"],
            "rows": r["rows"],
            "sha256": r["sha256"],
        }
        for r in audit.iter_rows(named=True)
    ]
    with written_atomically(folder / "manifest.json") as tmp:
        tmp.write_text(
            json.dumps({"period": period, "rosters": entries}, ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8",
        )
