"""The last delivery of a snapshot source, kept to be reused: most of a register arrives
again unchanged every month, and its rows need not be normalised and keyed again.

A memo is the spool of the source's last loaded delivery (`delivery.py`), renamed instead
of removed. The next delivery hashes each raw row as it is read (128 bits: two 64-bit
hashes of its cells and file format); a row whose hash the memo holds takes the memo's
normalised, pseudonymised row (with its own file, row and period), and only the new and
changed rows are normalised and keyed. Everything after the spool — duplicates, the
quarantine, accounting, the load, the gates — runs as before on every row, so the result
is what a full re-ingest gives. A memo row is reused only when its normalisation cannot
depend on the date it was made at: loaded, with every parent's number valid or blank
(a date after the period quarantines; a later period only admits more), and only for a
period no earlier than the memo's, under the same pseudonym key and the same code.

The memo holds identity numbers and names, like the vault: it lives beside the warehouse
(`OUT/spool/memo-<source>/`), readable by its owner only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from doudi_core.pseudonym import PseudonymKey

MEMO_PREFIX = "memo-"
MANIFEST = "memo.json"
HASHES = ["_raw_hash", "_raw_hash2"]
# the code a memo was made by: its normalised rows are reused only by the same code
CODE_FOLDERS = ("ingest", "sources", "doudi_core")
ROOT = Path(__file__).resolve().parent.parent


def code_id() -> str:
    """A digest of the code that normalises and keys rows (any change makes a new memo)."""
    digest = hashlib.sha256()
    for folder in CODE_FOLDERS:
        for path in sorted((ROOT / folder).glob("*.py")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def key_id(key: PseudonymKey) -> str:
    """Names the pseudonym key without revealing it: a memo keyed otherwise is not reused."""
    return hmac.new(key.secret, b"doudi-memo", "sha256").hexdigest()[:16]


@dataclass
class Reused:
    """The memo's rows a slice takes, in the spool's layout with the slice's `_row`: read
    lazily, so that the spool's writer streams them from the memo's Parquet files."""

    rows: pl.LazyFrame
    count: int
    in_order: bool  # `rows` come in the slice's row order (to be merged, not sorted)


@dataclass
class Memo:
    """A source's kept delivery: its parts, and which of their rows may be reused."""

    parts: list[Path]
    # file name -> the first and last of the parts it was spooled in (a file's slices are
    # spooled one after another)
    files: dict[str, tuple[int, int]]
    # _raw_hash, _raw_hash2, _part, _position of the reusable rows
    index: pl.DataFrame

    def split(self, hashed: pl.DataFrame, file: str) -> tuple[Reused | None, pl.DataFrame]:
        """`hashed` (a slice of `file` with `_row` and the two hashes) as (the memo's rows for
        those it holds, or None; the slice's other rows, to be normalised). A file's rows are
        looked for first among the rows its namesake delivered last time (a county's file,
        read in sequence), then among all the memo's."""
        wanted = hashed.select("_row", *HASHES)
        span = self.files.get(file)  # a file new this month has no namesake
        same_file = (
            self.index.filter(pl.col("_part").is_between(*span)) if span else self.index.clear()
        )
        found = _matched(wanted, same_file)
        if found.height < wanted.height:
            rest = wanted.filter(~pl.col("_row").is_in(found["_row"].implode()))
            found = pl.concat([found, _matched(rest, self.index)])
        fresh = hashed.filter(~pl.col("_row").is_in(found["_row"].implode()))
        if found.is_empty():
            return None, fresh
        # taken part by part in the slice's row order: as a rule they come out sorted
        parts = found.sort("_row").group_by("_part", maintain_order=True)
        taken = [(self.parts[part], rows.select("_position", "_row")) for (part,), rows in parts]
        order = pl.concat([rows["_row"] for _, rows in taken])
        frames = [_rows_at(part, rows) for part, rows in taken]
        return Reused(
            pl.concat(frames, how="vertical_relaxed"), order.len(), order.is_sorted()
        ), fresh


def _matched(wanted: pl.DataFrame, index: pl.DataFrame) -> pl.DataFrame:
    """Each `wanted` row (`_row` and the hashes) that `index` holds, once: `_row`, `_part`,
    `_position`. Joined on one hash and filtered on the other (a join on one 64-bit key is
    polars' fast path). A row delivered more than once last time matches each copy: the
    n-th copy now takes the n-th copy then, so that an unchanged file's rows are still
    wanted in the memo's own order (`_rows_at`); any copy would give the same row."""
    pairs = (
        wanted.join(index, on="_raw_hash2", how="inner")
        .filter(pl.col("_raw_hash") == pl.col("_raw_hash_right"))
        .select("_row", *HASHES, "_part", "_position")
    )
    copies = pairs["_row"].is_duplicated()
    if not copies.any():
        return pairs.select("_row", "_part", "_position")
    place = pl.col("_part").cast(pl.UInt64) * 2**32 + pl.col("_position")
    nth = pl.col("_row").rank("dense").over(HASHES) - 1
    candidate = place.rank("dense").over(HASHES) - 1
    chosen = pairs.filter(copies).filter(candidate == nth % (candidate.max().over(HASHES) + 1))
    return pl.concat([pairs.filter(~copies), chosen]).select("_row", "_part", "_position")


def _rows_at(part: Path, rows: pl.DataFrame) -> pl.LazyFrame:
    """The part's rows at `rows["_position"]`, in that order, each with its `_row`. An
    unchanged file's rows are wanted in the part's own order: then they are streamed out of
    the Parquet file, never all in memory (two slices are worked on at a time: this was
    most of a routine month's peak); otherwise the part is read and gathered."""
    if not (rows["_position"].diff().drop_nulls() >= 0).all():  # the file was reordered
        return pl.read_parquet(part)[rows["_position"]].with_columns(rows["_row"]).lazy()
    return (  # a row wanted twice (delivered twice now) comes twice, in `rows`' order
        pl.scan_parquet(part)
        .with_row_index("_position")
        .join(rows.lazy(), on="_position", how="inner", maintain_order="left_right")
        .drop("_position")
    )


def folder(spool_dir: Path, source: str) -> Path:
    return spool_dir / f"{MEMO_PREFIX}{source}"


def open_memo(spool_dir: Path | None, source: str, period: str, key: PseudonymKey) -> Memo | None:
    """The source's memo if it may serve `period` (made up to that period, by this code,
    under this key, and whole), else None."""
    if spool_dir is None:
        return None
    path = folder(spool_dir, source)
    try:
        manifest = json.loads((path / MANIFEST).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    if (
        manifest.get("period", "9999-99") > period
        or manifest.get("key") != key_id(key)
        or manifest.get("code") != code_id()
    ):
        return None
    parts = [path / name for name in manifest["parts"]]
    if not all(part.is_file() for part in parts):
        return None  # a memo damaged by hand: nothing is reused, and it is replaced
    files: dict[str, tuple[int, int]] = {}
    for number, part in enumerate(parts):  # each part is a slice of one file
        for (name,) in pl.scan_parquet(part).select("source_file").head(1).collect().rows():
            files[name] = (files.get(name, (number, number))[0], number)
    index = pl.concat(
        pl.scan_parquet(part)
        .select(*HASHES, "_reusable")
        .with_row_index("_position")
        .filter("_reusable")
        .select(*HASHES, pl.lit(number, dtype=pl.UInt32).alias("_part"), "_position")
        for number, part in enumerate(parts)
    )
    return Memo(parts, files, index.collect())


def keep(spool: Path, spool_dir: Path, source: str, period: str, key: PseudonymKey) -> None:
    """Make a loaded delivery's spool the source's memo, replacing the previous one."""
    parts = sorted(p.name for p in spool.glob("*.parquet"))
    (spool / MANIFEST).write_text(
        json.dumps({"period": period, "key": key_id(key), "code": code_id(), "parts": parts})
    )
    target = folder(spool_dir, source)
    retired = target.with_name(target.name + ".old")
    if retired.exists():
        shutil.rmtree(retired)
    if target.exists():
        target.rename(retired)
    spool.rename(target)
    target.chmod(0o700)
    if retired.exists():
        shutil.rmtree(retired)
