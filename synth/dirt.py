"""Dirt, as departments really send it (extracts.md), applied at known rates and counted.

Semantics-preserving forms (spaced, full-width, lowercase-x and 15-digit
identity numbers; every date form; thousands separators; exact duplicate rows)
must all be normalised by ingest; truly invalid rows carry `_expect`, the
quarantine reason ingest must give them.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import polars as pl

from synth import idcard

FULLWIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
DATE_COLUMNS = {
    "hukou": ["出生日期", "状态变更日期"],
    "medical": ["结算日期"],
    "disability": ["发证日期"],
    "lowincome": ["纳入日期", "停保日期", "上次核查日期"],
    "eldercare": ["最近日期", "开始日期", "停发日期"],
    "funeral": ["死亡日期", "火化日期"],
}
AMOUNT_COLUMNS = {
    "medical": ["医疗总费用", "统筹基金支付", "大病保险支付", "医疗救助支付", "个人自付"],
    "lowincome": ["月保障金额", "家庭月人均收入"],
    "eldercare": ["月发放金额"],
    "funeral": ["减免金额"],
}


def id_column_of(source: str) -> str:
    """The column holding the person's identity number (the deceased's for funeral homes)."""
    return "逝者公民身份号码" if source == "funeral" else "公民身份号码"


# xlsx cells that the writer turns into a real date cell or an Excel serial number
DATE_CELL, SERIAL_CELL = "\x00D", "\x00S"


@dataclass(frozen=True)
class Rates:
    id_spaces: float = 0.02
    id_fullwidth: float = 0.01
    id_lower_x: float = 0.5  # of numbers ending in X
    id_legacy15: float = 0.01  # of people born 1900-1999
    date_reformat: float = 0.3
    thousands: float = 0.3
    duplicate_rows: float = 0.005


def _pick(rng: np.random.Generator, n: int, rate: float) -> pl.Series:
    return pl.Series(rng.random(n) < rate)


def _draws(frame: pl.DataFrame, what: str) -> np.ndarray:
    """One uniform draw in [0, 1) per row from the row's cells and `what` alone: an export
    system writes a record the same way every month, so a record delivered again unchanged
    arrives byte for byte as before (what a routine month reuses)."""
    cells = frame.select(pl.all().exclude("^_.*$"))
    return cells.hash_rows(seed=zlib.crc32(what.encode())).to_numpy() / 2.0**64


def _stable_pick(frame: pl.DataFrame, what: str, rate: float) -> pl.Series:
    return pl.Series(_draws(frame, what) < rate)


def dirty_ids(frame: pl.DataFrame, column: str, rates: Rates, counts: dict) -> pl.DataFrame:
    col = pl.col(column)
    legacy = (
        _stable_pick(frame, f"{column}/legacy", rates.id_legacy15)
        & frame[column].str.slice(6, 2).eq("19").fill_null(False)
        & frame[
            "_expect"
        ].is_null()  # a 15-digit form has no check digit: it would mend a planted error
    )
    spaces = _stable_pick(frame, f"{column}/spaces", rates.id_spaces) & ~legacy
    full = _stable_pick(frame, f"{column}/fullwidth", rates.id_fullwidth) & ~legacy & ~spaces
    lower = (
        _stable_pick(frame, f"{column}/lower", rates.id_lower_x)
        & frame[column].str.ends_with("X").fill_null(False)
        & ~legacy
    )
    counts["id_legacy15"] = counts.get("id_legacy15", 0) + int(legacy.sum())
    counts["id_spaces"] = counts.get("id_spaces", 0) + int(spaces.sum())
    counts["id_fullwidth"] = counts.get("id_fullwidth", 0) + int(full.sum())
    counts["id_lower_x"] = counts.get("id_lower_x", 0) + int(lower.sum())
    gaps = np.array([" ", "\u3000", "  "])
    gap = pl.Series(gaps[(_draws(frame, f"{column}/gap") * len(gaps)).astype(int)])
    return frame.with_columns(
        pl.when(legacy)
        .then(pl.concat_str(col.str.slice(0, 6), col.str.slice(8, 9)))
        .when(spaces)
        .then(pl.concat_str(col.str.slice(0, 6), gap, col.str.slice(6, 8), gap, col.str.slice(14)))
        .when(full)
        .then(col.map_elements(lambda v: v.translate(FULLWIDTH), return_dtype=pl.String))
        .when(lower)
        .then(col.str.to_lowercase())
        .otherwise(col)
        .alias(column)
    )


def dirty_dates(
    frame: pl.DataFrame, source: str, rates: Rates, xlsx: bool, counts: dict
) -> pl.DataFrame:
    forms = ["%Y%m%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y/%-m/%-d", "%Y年%-m月%-d日"]
    for column in DATE_COLUMNS[source]:
        choice = (_draws(frame, f"{column}/form") * (len(forms) + (2 if xlsx else 0))).astype(int)
        reformat = _stable_pick(frame, f"{column}/reformat", rates.date_reformat)
        chosen = pl.Series(choice) * reformat.cast(pl.Int64) - 1
        parsed = pl.col(column).str.to_date("%Y-%m-%d", strict=False)
        expr = pl.col(column)
        chain = None
        for i, form in enumerate(forms):
            cond = chosen == i
            value = parsed.dt.strftime(form)
            chain = pl.when(cond).then(value) if chain is None else chain.when(cond).then(value)
        if xlsx:
            serial = (parsed - pl.lit(np.datetime64("1899-12-30"))).dt.total_days().cast(pl.String)
            chain = chain.when(chosen == len(forms)).then(pl.concat_str(pl.lit(DATE_CELL), expr))
            chain = chain.when(chosen == len(forms) + 1).then(
                pl.concat_str(pl.lit(SERIAL_CELL), serial)
            )
        counts["date_reformatted"] = counts.get("date_reformatted", 0) + int(
            ((chosen >= 0) & frame[column].is_not_null()).sum()
        )
        frame = frame.with_columns(chain.otherwise(expr).alias(column))
    return frame


def dirty_amounts(frame: pl.DataFrame, source: str, rates: Rates, counts: dict) -> pl.DataFrame:
    for column in AMOUNT_COLUMNS.get(source, []):
        pick = _stable_pick(frame, f"{column}/thousands", rates.thousands)
        whole = pl.col(column).str.extract(r"^(-?\d+)\.", 1)
        big = whole.str.replace("-", "").str.len_chars() > 3
        grouped = whole.str.reverse().str.replace_all(r"(\d{3})(\d)", "$1,$2").str.reverse()
        frame = frame.with_columns(
            pl.when(pick & big)
            .then(pl.concat_str(grouped, pl.lit("."), pl.col(column).str.extract(r"\.(\d+)$", 1)))
            .otherwise(pl.col(column))
            .alias(column)
        )
        counts["thousands_separators"] = counts.get("thousands_separators", 0) + int(
            frame.select((pl.col(column).str.contains(",")).sum()).item()
        )
    return frame


def duplicate_rows(frame: pl.DataFrame, rng, rates: Rates, counts: dict) -> pl.DataFrame:
    """Exact copies right after their originals: the copy is quarantined DUPLICATE_ROW."""
    valid = frame["_expect"].is_null().to_numpy()
    pick = (rng.random(frame.height) < rates.duplicate_rows) & valid
    counts["duplicate_rows"] = counts.get("duplicate_rows", 0) + int(pick.sum())
    repeats = pl.Series(np.where(pick, 2, 1))
    doubled = frame.with_columns(_n=repeats).select(pl.all().repeat_by("_n").explode()).drop("_n")
    is_copy = pl.col("_ord").is_first_distinct().not_()
    return doubled.with_columns(
        _expect=pl.when(is_copy).then(pl.lit("DUPLICATE_ROW")).otherwise(pl.col("_expect"))
    )


def _junk_id(rng, k: int, valid: bool) -> list[str]:
    days = rng.choice(np.arange(0, 20000), size=k, replace=False)
    births = (np.datetime64("1950-01-01") + days).astype("datetime64[D]")
    bodies = np.array([f"321302{str(b).replace('-', '')}997" for b in births])
    ids = idcard.with_check(bodies)
    if valid:
        return list(ids)
    return [i[:17] + ("1" if i[17] != "1" else "2") for i in ids]


def invalid_rows(
    frame: pl.DataFrame, source: str, rng, per_kind: int, counts: dict
) -> pl.DataFrame:
    """Append rows that are truly invalid, one problem each, with the reason they must get."""
    per_kind = min(per_kind, frame.height // 40)  # a few in a small file: not the whole file
    if frame.height == 0 or per_kind == 0:
        return frame
    date_column = DATE_COLUMNS[source][0]
    town_column = "参保地区划代码" if source == "medical" else "乡镇街道代码"
    outside = "320102" if source == "medical" else "320102001"
    id_column = id_column_of(source)
    kinds = [("bad_check", "ID_BAD_CHECK_DIGIT"), ("bad_date", "DATE_UNPARSABLE")]
    if town_column in frame.columns:
        kinds.append(("outside", "OUTSIDE_CITY"))
    rows = []
    for kind, reason in kinds:
        base = frame.filter(pl.col("_expect").is_null()).sample(
            per_kind, with_replacement=True, seed=int(rng.integers(1 << 31))
        )
        ids = _junk_id(rng, per_kind, valid=kind != "bad_check")
        changes = {id_column: pl.Series(ids), "_expect": pl.lit(reason)}
        if kind == "bad_date":
            changes[date_column] = pl.lit("2025-02-30")
        if kind == "outside":
            changes[town_column] = pl.lit(outside)
        if source == "medical":
            changes["结算流水号"] = pl.concat_str(
                pl.lit(f"J{kind}"), pl.int_range(pl.len()).cast(pl.String), pl.col("结算流水号")
            )
            changes["原结算流水号"] = pl.lit(None, dtype=pl.String)
        if source == "funeral":
            changes["业务编号"] = pl.concat_str(pl.lit(f"J{kind}"), pl.col("业务编号"))
        if source == "disability":
            changes["残疾人证号"] = pl.concat_str(
                pl.Series(ids), pl.col("残疾人证号").str.slice(18)
            )
        rows.append(base.with_columns(**changes))
        counts[f"invalid_{kind}"] = counts.get(f"invalid_{kind}", 0) + per_kind
    return pl.concat([frame, *rows])


GRADE_CODES = {
    g: str(i) for i, g in enumerate(["能力完好", "轻度失能", "中度失能", "重度失能", "完全失能"])
}


def elder_forms(frame: pl.DataFrame, rng, counts: dict) -> pl.DataFrame:
    """评估等级 as codes 0-4 for some rows; and the same person and service twice, the
    second copy dated 40 days earlier: it is the copy quarantined DUPLICATE_SERVICE."""
    coded = _stable_pick(frame, "评估等级/code", 0.3) & frame["评估等级"].is_not_null()
    counts["grade_as_code"] = counts.get("grade_as_code", 0) + int(coded.sum())
    frame = frame.with_columns(
        pl.when(coded)
        .then(pl.col("评估等级").replace_strict(GRADE_CODES, default=pl.col("评估等级")))
        .otherwise(pl.col("评估等级"))
        .alias("评估等级")
    )
    dated = pl.coalesce("最近日期", "开始日期")
    stale = frame.filter(
        _pick(rng, frame.height, 0.003) & pl.col("_expect").is_null() & dated.is_not_null()
    )
    earlier = (dated.str.to_date("%Y-%m-%d") - pl.duration(days=40)).dt.strftime("%Y-%m-%d")
    column = pl.when(pl.col("最近日期").is_not_null())
    stale = stale.with_columns(
        column.then(earlier).otherwise(pl.col("最近日期")).alias("最近日期"),
        column.then(pl.col("开始日期")).otherwise(earlier).alias("开始日期"),
        _expect=pl.lit("DUPLICATE_SERVICE"),
    )
    counts["duplicate_service"] = counts.get("duplicate_service", 0) + stale.height
    return pl.concat([frame, stale])
