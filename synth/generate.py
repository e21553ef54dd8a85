"""`doudi generate`: write a synthetic inbox for consecutive periods, and its ground truth.

INBOX/<period>/<source>/<county>.csv|xlsx, and beside the inbox
truth/<period>/{leads.csv, quarantine.csv, files.csv, dirt.json} (never read by the pipeline).
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from doudi_core.config import load_config
from doudi_core.period import shift
from synth import city as city_mod
from synth import cohorts, dirt, extracts, places, plant, write

SOURCE_TITLES = {
    "hukou": "宿迁市公安局户籍人口信息",
    "medical": "宿迁市医疗保障局结算明细",
    "disability": "宿迁市残疾人联合会残疾人证信息",
    "lowincome": "宿迁市民政局低收入人口数据库",
    "eldercare": "宿迁市民政局养老服务信息",
    "funeral": "宿迁市殡葬服务记录",
}
XLSX_MAX_ROWS = 50_000
SOURCE_IDS = {
    "hukou": 1,
    "medical": 2,
    "disability": 3,
    "lowincome": 4,
    "eldercare": 5,
    "funeral": 6,
}


@dataclass
class Generated:
    periods: list[str]
    inbox: Path
    truth: Path
    rows: dict[str, dict[str, int]]  # period -> source -> rows written
    seconds: float


def generate(
    period: str,
    scale: str,
    seed: int,
    inbox: Path,
    months: int = 1,
    rates: dirt.Rates | None = None,
    say: Callable[[str], None] = print,
) -> Generated:
    started = time.perf_counter()
    rates = rates or dirt.Rates()
    chosen = city_mod.SCALES[scale]
    wanted = plant.periods(shift(period, -(months - 1)), period)
    say(f"building a {scale} city (seed {seed}) ...")
    the_city = city_mod.build(seed, chosen)
    dibao = load_config().county_figures("dibao_standard_yuan")
    planted = cohorts.plant_all(places.towns(), dibao, chosen.cohort, chosen.repairs, seed)
    persons, households = extracts.everyone(the_city, planted)
    say(
        f"  {persons.height:,} people in {households.height:,} households; "
        f"{len(planted.cases):,} planted cases ({time.perf_counter() - started:.1f}s)"
    )
    truth_root = inbox.parent / "truth"
    rows: dict[str, dict[str, int]] = {}
    for index, p in enumerate(wanted):
        t0 = time.perf_counter()
        frames = {
            "hukou": extracts.hukou(persons, households, planted, p),
            "disability": extracts.disability(the_city, planted, persons, households, p),
            "lowincome": extracts.lowincome(the_city, planted, persons, households, p),
            "medical": extracts.medical(
                the_city, planted, persons, households, p, backfill=index == 0
            ),
            "eldercare": extracts.eldercare(the_city, planted, persons, households, p),
            "funeral": extracts.funeral(
                the_city, planted, persons, households, p, backfill=index == 0
            ),
        }
        quarantine, files, counts, junk_ids = [], [], {}, []
        for source, frame in frames.items():
            folder = inbox / p / source
            folder.mkdir(parents=True, exist_ok=True)
            written = _write_source(
                source,
                frame,
                folder,
                p,
                seed,
                rates,
                scale,
                quarantine,
                files,
                counts,
                planted.lowincome_id_reason if source == "lowincome" else {},
            )
            if source == "lowincome":
                junk_ids += written
        rows[p] = {s: f.height for s, f in frames.items()}
        _write_truth(truth_root / p, p, planted, quarantine, files, counts, junk_ids)
        say(
            f"  {p}: "
            + ", ".join(f"{s} {n:,}" for s, n in rows[p].items())
            + f" rows ({time.perf_counter() - t0:.1f}s)"
        )
    return Generated(wanted, inbox, truth_root, rows, time.perf_counter() - started)


def _write_source(
    source,
    frame,
    folder,
    period,
    seed,
    rates,
    scale,
    quarantine,
    files,
    counts,
    planted_invalid: dict[str, str],
) -> list[str]:
    """Split by county, dirty, write; returns lowincome numbers planted invalid (for the truth)."""
    junk_ids: list[str] = []
    y, m = int(period[:4]), int(period[5:7])
    per_kind = {"tiny": 1, "small": 3}.get(scale, 10)
    carried: pl.DataFrame | None = None
    for n, county in enumerate(sorted(places.COUNTIES)):
        rng = np.random.default_rng([seed, 3, y, m, SOURCE_IDS[source], int(county)])
        part = (
            frame.filter(pl.col("_county") == county)
            .drop("_county")
            .with_columns(
                _expect=pl.col(dirt.id_column_of(source)).replace_strict(
                    planted_invalid, default=None, return_dtype=pl.String
                )
            )
        )
        # a county's system exports in one format month after month (the encoding may change)
        exports = np.random.default_rng([seed, 4, SOURCE_IDS[source], int(county)])
        xlsx = part.height <= XLSX_MAX_ROWS and exports.random() < 0.35
        for column in (dirt.id_column_of(source), "父亲公民身份号码", "母亲公民身份号码"):
            if column in part.columns:
                part = dirt.dirty_ids(part, column, rates, counts)
        if source == "eldercare":
            part = dirt.elder_forms(part, rng, counts)
        part = dirt.dirty_dates(part, source, rates, xlsx, counts)
        part = dirt.dirty_amounts(part, source, rates, counts)
        if n == 2:  # one county's file carries the truly invalid rows
            before = part.height
            part = dirt.invalid_rows(part, source, rng, per_kind, counts)
            if source == "lowincome":  # these numbers also raise IDENTITY_MISMATCH
                added = part.slice(before).filter(pl.col("_expect") == "ID_BAD_CHECK_DIGIT")
                junk_ids += added["公民身份号码"].to_list()
        part = part.with_row_index("_ord")
        part = dirt.duplicate_rows(part, rng, rates, counts)
        if carried is not None:  # a settlement delivered in two counties' files
            part = pl.concat(
                [
                    part,
                    carried.with_columns(
                        _ord=pl.lit(10**9, dtype=pl.UInt32), _expect=pl.lit("DUPLICATE_ROW")
                    ),
                ]
            )
            counts["duplicate_across_files"] = (
                counts.get("duplicate_across_files", 0) + carried.height
            )
            carried = None
        if source == "medical" and not xlsx and part.height:
            plain = part.filter(
                pl.col("_expect").is_null() & ~pl.col("结算日期").str.starts_with("\x00")
            )
            carried = plain.head(1) if plain.height else None
        name = f"{county}_{places.COUNTIES[county]}.{'xlsx' if xlsx else 'csv'}"
        data = part.drop("_ord", "_expect")
        if xlsx:
            title_rows = int(rng.integers(1, 4))
            title = f"{SOURCE_TITLES[source]}（{y}年{m}月）"
            first = write.write_xlsx(
                data, folder / name, title, title_rows, totals=bool(rng.random() < 0.7)
            )
            encoding = None
        else:
            encoding = str(rng.choice(["utf-8", "utf-8-sig", "gb18030"]))
            first = write.write_csv(
                data, folder / name, encoding, blank_rows=int(rng.random() < 0.3)
            )
        expected = part.with_row_index("_line", offset=first).filter(
            pl.col("_expect").is_not_null()
        )
        quarantine += [
            {"source": source, "file": name, "row_number": int(r), "reason": reason}
            for r, reason in zip(expected["_line"], expected["_expect"], strict=True)
        ]
        files.append(
            {
                "source": source,
                "file": name,
                "format": "xlsx" if xlsx else "csv",
                "encoding": encoding or "",
                "rows": part.height,
            }
        )
    return junk_ids


REPAIR_TRUTH = {  # synth.plant_repair.Label: who each planted identity-repair record is
    "kind": pl.String,
    "household_id": pl.String,
    "lead_id_number": pl.String,
    "delivered_name": pl.String,
    "true_id_number": pl.String,
    "true_name": pl.String,
}


def _write_truth(folder: Path, period: str, planted, quarantine, files, counts, junk_ids) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    leads = []
    for case in planted.cases:
        verdict = case.expect(period)
        if verdict:
            leads.append(
                {
                    "rule_code": case.rule,
                    "id_number": case.id_number,
                    "expect": verdict,
                    "template": case.template,
                    "anchor": case.anchor,
                }
            )
    for number in junk_ids:
        leads.append(
            {
                "rule_code": "IDENTITY_MISMATCH",
                "id_number": number,
                "expect": plant.MUST,
                "template": "invalid_row_bad_check_digit",
                "anchor": period,
            }
        )
    pl.DataFrame(leads).sort("rule_code", "id_number").write_csv(folder / "leads.csv")
    labels = [dataclasses.asdict(label) for label in planted.repair_labels]
    pl.DataFrame(labels, schema=REPAIR_TRUTH).write_csv(folder / "repairs.csv")
    pl.DataFrame(quarantine).sort("source", "file", "row_number").write_csv(
        folder / "quarantine.csv"
    )
    pl.DataFrame(files).sort("source", "file").write_csv(folder / "files.csv")
    (folder / "dirt.json").write_text(
        json.dumps(dict(sorted(counts.items())), ensure_ascii=False, indent=2) + "\n"
    )
