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
class Memo:
    """A source's kept delivery: its parts, and which of their rows may be reused."""

    parts: list[Path]
    # _raw_hash, _raw_hash2 -> _file (delivered in), _part, _position: reusable rows, one per hash
    index: pl.DataFrame

    def split(self, hashed: pl.DataFrame, file: str) -> tuple[pl.DataFrame, pl.DataFrame]:
        """`hashed` (a slice of `file` with `_row` and the two hashes) as (the memo's rows for
        those it holds, in the spool's layout, with the slice's `_row`; the slice's other
        rows, to be normalised). A file's rows are looked for first among the rows its
        namesake delivered last time (a county's file), then among all the memo's."""
        wanted = hashed.select("_row", *HASHES)
        same_file = self.index.filter(pl.col("_file") == file)
        found = wanted.join(same_file, on=HASHES, how="inner")
        if found.height < wanted.height:
            rest = wanted.join(found.select("_row"), on="_row", how="anti")
            found = pl.concat([found, rest.join(self.index, on=HASHES, how="inner")])
        fresh = hashed.join(found.select("_row"), on="_row", how="anti", maintain_order="left")
        # in the slice's row order: they come out sorted, to be merged, not sorted
        reused = [
            _rows_at(self.parts[part], rows["_position"]).with_columns(rows["_row"])
            for (part,), rows in found.sort("_row").group_by("_part", maintain_order=True)
        ]
        return (pl.concat(reused, how="vertical_relaxed") if reused else pl.DataFrame()), fresh


def _rows_at(part: Path, positions: pl.Series) -> pl.DataFrame:
    """The part's rows at `positions`, in that order. An unchanged file's rows are wanted in
    the part's own order, each once: then they are streamed out of the Parquet file, and the
    whole part is never held beside them (two slices at a time: most of a routine month's peak)."""
    if positions.is_empty() or not (positions.diff().drop_nulls() > 0).all():
        return pl.read_parquet(part)[positions]
    return (
        pl.scan_parquet(part)
        .with_row_index("_position")
        .filter(pl.col("_position").is_in(positions.implode()))
        .drop("_position")
        .collect(engine="streaming")
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
    index = pl.concat(
        pl.scan_parquet(part)
        .select(*HASHES, "_reusable", pl.col("source_file").alias("_file"))
        .with_row_index("_position")
        .with_columns(_part=pl.lit(number, dtype=pl.UInt32))
        for number, part in enumerate(parts)
    )
    reusable = (
        index.filter("_reusable")
        .unique(subset=HASHES, keep="first")
        .select(*HASHES, "_file", "_part", "_position")
        .collect()
    )
    return Memo(parts, reusable)


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
