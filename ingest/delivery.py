"""Ingest one source's delivery for one period: files -> loaded, quarantined, accounted.

The result is split by sensitivity from the start: `tables` hold pseudonyms
only (person_key, name_key); `vault` holds identity numbers, names and the raw
values of quarantined rows, for the restricted schema alone.

Each delivered file is normalised, pseudonymised and projected a slice at a
time and written to a spool (one Parquet file per slice), so a city's delivery
is never in memory whole: duplicates across files are then found on a few key
columns of the spool, and each table is handed on in parts, one per slice.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import operator
import shutil
import tempfile
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from doudi_core.period import as_of as period_as_of
from doudi_core.pseudonym import PseudonymKey, add_keys
from ingest import identity, memo
from ingest.arrivals import is_hidden
from ingest.files import SUPPORTED_SUFFIXES, FileRejected, FilesRejected, RawFile, read_file
from ingest.identity import ID_REASONS
from ingest.values import normalise_name
from sources import SOURCES
from sources.contract import Source

DUPLICATE_ROW = "DUPLICATE_ROW"
DUPLICATE_FILE = "DUPLICATE_FILE"  # a resent file: its rows are skipped, not quarantined
ROW_ID = ["source_file", "source_row"]  # a row's identity in every table and in the spool
SPOOL_PREFIX = "doudi-spool-"  # then the source: doudi-spool-medical-…
SPOOL_LOCK = ".writer.lock"  # in each spool, locked by the process writing it (see Spool)
SPOOL_COMPRESSION = "lz4"  # fast to write and read; the spool lives only until the load
# rows normalised at once (see _slices): as fast as larger slices, a lower peak (two are in
# flight; docs/decisions.md, "Measured choices")
SLICE_ROWS = 1_000_000
SLICE_WORKERS = 2  # slices normalised at the same time (polars releases the GIL)


class Spool:
    """A spool folder, locked (`flock`) by the process writing it until it is removed.

    The operating system releases the lock when that process ends, even when killed,
    as it does the run lock (doudi_core/runlock.py): a spool whose lock can be taken
    was left by a run that is gone, whatever process numbers say.
    """

    def __init__(self, source: str, spool_dir: Path | None):
        self.path = Path(tempfile.mkdtemp(prefix=f"{SPOOL_PREFIX}{source}-", dir=spool_dir))
        unlocked = self.path / f"{SPOOL_LOCK}.new"  # a sweep never sees the lock not yet taken
        self._lock = unlocked.open("w")
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        unlocked.rename(self.path / SPOOL_LOCK)  # the lock stays with the open file

    def cleanup(self) -> None:
        self._lock.close()
        shutil.rmtree(self.path, ignore_errors=True)

    def keep(self, source: str, period: str, key: PseudonymKey) -> None:
        """Keep the spool as the source's memo (ingest/memo.py) instead of removing it."""
        (self.path / SPOOL_LOCK).unlink()
        self._lock.close()
        memo.keep(self.path, self.path.parent, source, period, key)


@dataclass
class Delivery:
    """What one source's folder for one period produced."""

    source: str
    period: str
    files: list[RawFile]
    # pseudonymous, table name -> the table in parts (one per spooled slice), read lazily
    tables: dict[str, list[pl.LazyFrame]]
    vault: dict[str, pl.DataFrame]  # restricted, vault.<name>: names, raw quarantine
    accounting: pl.DataFrame  # one row per file
    # restricted: person_key -> the identity number it stands for (vault.identities)
    identities: pl.DataFrame
    warnings: list[str] = field(default_factory=list)
    # the spool the table parts read from; removed when the delivery is dropped
    spool: Spool | None = None
    period_column: str = "period"  # the tables' column naming the delivery's period
    # the key, when the spool is to be kept as the source's memo once loaded (ingest/memo.py)
    memo_key: PseudonymKey | None = None
    rows_reused: int = 0  # rows the previous delivery's memo held unchanged

    def table(self, name: str) -> pl.DataFrame:
        """One table whole, in memory: for small deliveries, summaries and tests."""
        return pl.concat([part.collect() for part in self.tables[name]], how="vertical_relaxed")

    def discard_spool(self) -> None:
        """Remove the spool now (it holds identity numbers); the table parts are unreadable after."""
        if self.spool is not None:
            self.spool.cleanup()

    def keep_spool(self) -> None:
        """Once loaded: a snapshot's spool becomes its memo for the next delivery (the table
        parts are unreadable after); any other spool is removed."""
        if self.spool is not None and self.memo_key is not None:
            self.spool.keep(self.source, self.period, self.memo_key)
        else:
            self.discard_spool()


def no_identities() -> pl.DataFrame:
    """`Delivery.identities` of a delivery that reads no identity numbers (returned workbooks)."""
    return pl.DataFrame(schema={"person_key": pl.Int64, "id_number": pl.String})


def list_files(folder: Path, inbox: Path) -> tuple[list[Path], list[str], list[FileRejected]]:
    """The delivery's data files in name order, and the files rejected for what they are (a
    link out of the inbox, an unsupported type); temporary and hidden files are skipped."""
    files, warnings, rejected = [], [], []
    inbox_root = inbox.resolve()
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if is_hidden(path):
            warnings.append(f"{path}: skipped (hidden or temporary file)")
            continue
        if path.is_dir():
            warnings.append(f"{path}: skipped (a folder inside a source folder)")
            continue
        if not path.resolve().is_relative_to(inbox_root):
            rejected.append(FileRejected(path, "a link that points outside the inbox"))
        elif path.suffix.lower() not in SUPPORTED_SUFFIXES:
            reason = f"unsupported file type {path.suffix or '(none)'}: send .csv or .xlsx"
            rejected.append(FileRejected(path, reason))
        else:
            files.append(path)
    return files, warnings, rejected


def ingest_source(
    source: str | Source,
    period: str,
    folder: Path,
    inbox: Path,
    key: PseudonymKey,
    spool_dir: Path | None = None,
    reuse: bool = True,
) -> Delivery:
    """Read, normalise, pseudonymise and spool one source's delivery a slice at a time, then
    mark duplicates across files and split the rows into tables, vault and quarantine.

    A snapshot source with a `spool_dir` reuses the rows its previous delivery's memo holds
    unchanged (unless not `reuse`: everything is normalised again), and its spool is kept as
    the next memo once loaded (`Delivery.keep_spool`).

    The spool holds identity numbers and names, so it belongs beside the warehouse
    (`spool_dir`); it is removed by `Delivery.discard_spool`, and here when the ingest fails
    (left to the collector, it would outlive an error whose traceback keeps it alive).
    """
    declared = source if isinstance(source, Source) else SOURCES[source]
    paths, warnings, rejected = list_files(folder, inbox)
    if spool_dir is not None:
        spool_dir.mkdir(parents=True, exist_ok=True)
        warnings.extend(
            f"removed {path.name}: a spool left by an interrupted run (it held identity numbers)"
            for path in sweep_spools(spool_dir)
        )
    spool = Spool(declared.name, spool_dir)
    kept = declared.snapshot and spool_dir is not None
    previous = memo.open_memo(spool_dir, declared.name, period, key) if kept and reuse else None
    try:
        delivery = _spool_and_split(
            declared, period, paths, key, spool, warnings, rejected, previous
        )
        delivery.memo_key = key if kept else None
        return delivery
    except BaseException:
        spool.cleanup()
        raise


def _spool_and_split(
    source: Source,
    period: str,
    paths: list[Path],
    key: PseudonymKey,
    spool: Spool,
    warnings: list[str],
    rejected: list[FileRejected],
    previous: memo.Memo | None,
) -> Delivery:
    """Each slice normalised, pseudonymised and written to `spool`; then duplicates marked
    across files and the rows split into tables, vault and quarantine.

    A file that cannot be read stops the delivery, but only once every file has been
    read: the run names all the rejected files at once (`FilesRejected`)."""
    as_of = period_as_of(period)
    names, files = [], []
    rows_per_file: dict[str, int] = {}  # in file order (the slices come file by file)

    def spool_slice(
        rows: pl.DataFrame, name: str, file_format: str, index: int
    ) -> tuple[pl.LazyFrame, int]:
        """The slice spooled, and how many of its rows the memo held (not normalised again)."""
        rows = rows.with_columns(_file=pl.lit(name), _format=pl.lit(file_format))
        rows = rows.with_columns(_row_hashes(list(source.columns.values())))
        reused = None
        if previous is not None:
            reused, rows = previous.split(rows, name)
        keyed = _keyed(source, _normalise_file(source, rows, as_of), key)
        part = _spool(source, period, keyed, reused, name, spool.path / f"{index:05d}")
        return part, 0 if reused is None else reused.count

    # slices are worked on two at a time: one slice's polars work leaves a core idle for
    # part of it (many steps run on one thread); spooled in slice order all the same
    in_flight: deque[Future[tuple[pl.LazyFrame, int]]] = deque()
    results = []
    with ThreadPoolExecutor(max_workers=SLICE_WORKERS, thread_name_prefix="doudi-slice") as pool:
        slices = _slices(paths, source, files, warnings, rejected)
        for index, (rows, name, file_format) in enumerate(slices):
            in_flight.append(pool.submit(spool_slice, rows, name, file_format, index))
            names.append(name)
            rows_per_file[name] = rows_per_file.get(name, 0) + rows.height
            del rows
            if len(in_flight) == SLICE_WORKERS:
                results.append(in_flight.popleft().result())
        results.extend(future.result() for future in in_flight)
    spooled = [part for part, _ in results]
    if rejected:
        raise FilesRejected(rejected)
    duplicate = source.duplicate
    order = [] if duplicate.latest is None else [duplicate.latest.alias("_dup_order")]
    keys = pl.concat(
        part.select(
            *ROW_ID, "_raw_hash", _expr(duplicate.column).alias("_dup_key"), *order, "_reason"
        )
        for part in spooled
    ).collect()
    reasons = _mark_duplicates(keys, source, rows_per_file)
    del keys
    warnings.extend(_skipped_file_warnings(reasons, files))
    not_loaded = reasons.filter(pl.col("_reason").is_not_null()).select(*ROW_ID, "_reason")
    quarantined_ids = not_loaded.filter(pl.col("_reason") != DUPLICATE_FILE)
    loaded = [  # in file and row order: the first row of a person names them in the vault
        part.join(not_loaded.lazy(), on=ROW_ID, how="anti", maintain_order="left")
        for part in spooled
    ]
    quarantined = _quarantined_rows(spooled, names, quarantined_ids)
    table_columns = [c for c in spooled[0].collect_schema().names() if not c.startswith("_")]
    tables = {source.name: [part.select(table_columns) for part in loaded]}
    if source.invalid_numbers:
        invalid = _invalid_numbers(quarantined, table_columns)
        tables[source.invalid_numbers.table] = [invalid.lazy()]
    people, identities = _vault_people(source, period, loaded, quarantined)
    vault = {"people": people, "quarantine": _vault_quarantine(source, period, quarantined)}
    if source.vault_columns:
        vault[f"{source.name}_documents"] = _vault_documents(source, period, loaded)
    accounting = _accounting(source.name, period, files, reasons)
    return Delivery(
        source.name,
        period,
        files,
        tables,
        vault,
        accounting,
        identities,
        warnings,
        spool,
        source.period_column,
        rows_reused=sum(reused for _, reused in results),
    )


def sweep_spools(spool_dir: Path) -> list[Path]:
    """Remove the spools of runs that are gone (killed mid-ingest: a spool is otherwise
    deleted right after its load), and return them. A spool whose writer still holds its
    lock (another run, from the UI) is left alone; so is one without a lock file."""
    removed = []
    for path in sorted(spool_dir.glob(f"{SPOOL_PREFIX}*")):
        try:
            lock = (path / SPOOL_LOCK).open("r")
        except (FileNotFoundError, NotADirectoryError):
            continue
        with lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # its writer is running
            shutil.rmtree(path)
        removed.append(path)
    return removed


def _quarantined_rows(
    spooled: list[pl.LazyFrame], names: list[str], reasons: pl.DataFrame
) -> pl.DataFrame:
    """The spool's quarantined rows with their final reason (duplicates are known only now),
    read part by part with a row filter the Parquet reader applies before it decodes the rest."""
    parts = []
    for part, name in zip(spooled, names, strict=True):
        mine = reasons.filter(pl.col("source_file") == name)
        rows = part.drop("_reason").filter(pl.col("source_row").is_in(mine["source_row"].implode()))
        parts.append(rows.collect().join(mine, on=ROW_ID, how="inner", maintain_order="right"))
    return pl.concat(parts, how="vertical_relaxed")


def _slices(
    paths: list[Path],
    schema: Source,
    files: list[RawFile],
    warnings: list[str],
    rejected: list[FileRejected],
) -> Iterator[tuple[pl.DataFrame, str, str]]:
    """Each file's rows a slice at a time (a slice's working columns fit in memory where a
    big county's file would need ~5 GB), as (rows, file name, file format); one empty slice
    when no file has a row, so every table still exists with its columns. Each file's
    bookkeeping goes to `files` (without its rows), its warnings to `warnings`, a file that
    cannot be read to `rejected`; once one is, the others are only read, to be checked."""
    sliced = False
    for raw in _read_ahead(paths, schema):
        if isinstance(raw, FileRejected):
            rejected.append(raw)
            continue
        if rejected:
            continue
        if raw.extra_columns:
            warnings.append(
                f"{raw.path.name}: extra columns kept out of the warehouse: {'、'.join(raw.extra_columns)}"
            )
        for start in range(0, raw.rows.height, SLICE_ROWS):
            sliced = True
            # one chunk per column: the later steps are slower on the parse's hundreds of
            # chunks than the copy costs; a slice's copy, never the whole file's beside it
            yield raw.rows.slice(start, SLICE_ROWS).rechunk(), raw.path.name, raw.file_format
        files.append(replace(raw, rows=raw.rows.clear()))
        del raw
    if not sliced:
        columns = dict.fromkeys(schema.columns.values(), pl.String)
        yield pl.DataFrame(schema={"_row": pl.Int64, **columns}), "", "csv"


def _read_or_reject(path: Path, schema: Source) -> RawFile | FileRejected:
    try:
        return read_file(path, schema)
    except FileRejected as rejected:
        return rejected


def _read_ahead(paths: list[Path], schema: Source) -> Iterator[RawFile | FileRejected]:
    """Each file read, the next one read in a thread meanwhile: decoding a GBK export is
    single-threaded Python (~3 s for a county's 4 M settlements) while the current file's
    polars work leaves a core partly idle. At most two files' rows are held at once."""
    if not paths:
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="doudi-read") as reader:
        upcoming = reader.submit(_read_or_reject, paths[0], schema)
        for following in [*paths[1:], None]:
            raw = upcoming.result()
            upcoming = reader.submit(_read_or_reject, following, schema) if following else None
            yield raw
            del raw


def _spool(
    source: Source,
    period: str,
    normalised: pl.DataFrame,
    reused: memo.Reused | None,
    name: str,
    path: Path,
) -> pl.LazyFrame:
    """Write one slice's rows to the spool: the table's columns (pseudonymous) plus what the
    duplicate check, the vault, the quarantine and the next memo need (columns named `_…`).
    Rows `reused` from the memo take this delivery's period, file and row; the slice keeps
    its row order."""
    path = path.with_suffix(".parquet")
    rows = normalised.lazy().select(
        pl.lit(period).alias(source.period_column),
        *source.project(),
        *_from_id(),
        *_lineage(),
        "_reason",
        *[pl.col(c).alias(f"_raw_{c}") for c in source.columns.values()],
        *memo.HASHES,
        (pl.col("_reason").is_null() & pl.col("_parents_settled")).alias("_reusable"),
        pl.col("id18").alias("_id_number"),
        pl.col("id_cleaned").alias("_id_cleaned"),
    )
    if reused is not None:
        columns = rows.collect_schema()
        again = reused.rows.with_columns(
            pl.lit(period).alias(source.period_column),
            pl.lit(name).alias("source_file"),
            pl.col("_row").alias("source_row"),
        )
        again = again.select(pl.col(c).cast(t) for c, t in columns.items())
        rows = rows.collect()  # the slice's new and changed rows: few in a routine month
        if reused.in_order and rows["source_row"].is_sorted():  # as a rule
            rows = rows.lazy().merge_sorted(again, key="source_row")
        else:  # a file reordered since the memo: its rows span the memo's parts out of order
            rows = pl.concat([rows.lazy(), again]).sort("source_row")
    rows.sink_parquet(path, compression=SPOOL_COMPRESSION, statistics=False)
    return pl.scan_parquet(path)


def _normalise_file(source: Source, rows: pl.DataFrame, as_of) -> pl.DataFrame:
    """Normalise one slice of a file; its raw cells stay beside the parsed values (the
    quarantine shows a rejected row as delivered)."""
    return source.normalise(rows, as_of).with_columns(
        # the number as delivered is only needed where it is invalid (IDENTITY_MISMATCH leads)
        id_cleaned=pl.when(pl.col("id18").is_null()).then("id_cleaned"),
    )


def _row_hashes(columns: list[str]) -> list[pl.Expr]:
    """Two 64-bit hashes of a row's raw cells, each cell hashed with its own seed (a value
    moved to another column changes them; a null and an empty cell differ), combined by
    XOR. The first finds exact duplicates across the delivery's files; with the second,
    which also covers the file format (an Excel date serial means a date only in xlsx), a
    row the memo holds (ingest/memo.py)."""
    first = functools.reduce(operator.xor, (pl.col(c).hash(seed) for seed, c in enumerate(columns)))
    second = functools.reduce(
        operator.xor,
        (pl.col(c).hash(seed) for seed, c in enumerate(["_format", *columns], start=1000)),
    )
    return [first.alias("_raw_hash"), second.alias("_raw_hash2")]


def _keyed(source: Source, normalised: pl.DataFrame, key: PseudonymKey) -> pl.DataFrame:
    """One slice's pseudonyms (a city's whole delivery at once is slower, and would not fit)."""
    without_number = [source.missing_number_key()] if source.missing_number_key else []
    normalised = normalised.with_columns(
        _id_for_key=pl.coalesce("id18", "id_cleaned", *without_number)
    )
    if source.name_keyed:
        normalised = normalised.with_columns(
            _name_norm=pl.concat_str(pl.lit("name:"), normalise_name(pl.col("name")))
        )
    return add_keys(normalised, key, _key_columns(source)).drop(
        "_id_for_key", "_name_norm", strict=False
    )


def _mark_duplicates(
    frame: pl.DataFrame, source: Source, rows_per_file: dict[str, int]
) -> pl.DataFrame:
    """Exact duplicate rows first; then duplicate keys among otherwise valid rows (rows in
    file-name order, then row order); last, the rows of a file that only repeats earlier
    files (a resend) are marked DUPLICATE_FILE: skipped, not quarantined.

    An exact copy has its original's key (or both have none), so only rows whose key
    repeats can be duplicates of any kind. They are found by a parallel count of a
    64-bit hash of the key (a collision only adds a row to check), and the exact checks
    run on them alone: at city, on 0.1 M of 12.6 M settlements.
    """
    key_hash = frame.select(pl.col("_dup_key").hash().alias("_key_hash"))
    repeated = key_hash.lazy().group_by("_key_hash").len().filter(pl.col("len") > 1).collect()
    suspects = key_hash.get_column("_key_hash").is_in(repeated.get_column("_key_hash").implode())
    rows = suspects.arg_true()
    checked = _duplicates_among(frame[rows], source).get_column("_reason")
    marked = frame.with_columns(frame.get_column("_reason").scatter(rows, checked))
    resent = _resent_files(frame[rows], rows_per_file)
    return marked.with_columns(
        _reason=pl.when(pl.col("source_file").is_in(resent.implode()))
        .then(pl.lit(DUPLICATE_FILE))
        .otherwise("_reason")
    )


def _resent_files(suspects: pl.DataFrame, rows_per_file: dict[str, int]) -> pl.Series:
    """Files every row of which is an exact copy of a row of an earlier file (in name order):
    a byte-identical resend, or the same rows under another name. Each of their rows is a
    suspect, so only the suspects are looked at."""
    if suspects.is_empty():
        return pl.Series("source_file", [], dtype=pl.String)
    order = {name: i for i, name in enumerate(rows_per_file)}
    rows = suspects.select(
        "source_file",
        "_raw_hash",
        pl.col("source_file").replace_strict(order, return_dtype=pl.Int64).alias("_order"),
    )
    first = rows.group_by("_raw_hash").agg(pl.col("_order").min().alias("_first"))
    per_file = (
        rows.join(first, on="_raw_hash")
        .group_by("source_file")
        .agg(copies=(pl.col("_first") < pl.col("_order")).sum())
    )
    whole = pl.col("copies") == pl.col("source_file").replace_strict(rows_per_file)
    return per_file.filter(whole).get_column("source_file").sort()


def _skipped_file_warnings(reasons: pl.DataFrame, files: list[RawFile]) -> list[str]:
    """One warning per resent file, saying whether it is byte-identical to an earlier one."""
    skipped = reasons.filter(pl.col("_reason") == DUPLICATE_FILE).get_column("source_file")
    paths = {f.path.name: f.path for f in files}
    warnings = []
    for name in skipped.unique().sort():
        digest = _sha256(paths[name])
        twins = [
            earlier
            for earlier, path in paths.items()
            if earlier < name
            and path.stat().st_size == paths[name].stat().st_size
            and _sha256(path) == digest
        ]
        how = f"byte-identical to {twins[0]}" if twins else "every row already in an earlier file"
        warnings.append(f"{name}: skipped as a resent file ({how}); its rows count as skipped")
    return warnings


def _sha256(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _duplicates_among(frame: pl.DataFrame, source: Source) -> pl.DataFrame:
    frame = frame.with_columns(
        _reason=pl.when(pl.col("_raw_hash").is_first_distinct().not_())
        .then(pl.lit(DUPLICATE_ROW))
        .otherwise(pl.col("_reason"))
    )
    valid = pl.col("_reason").is_null()
    reason, keep = source.duplicate.reason, source.duplicate.keep
    # only valid rows compete for a key; every valid row has one (a missing key quarantines)
    key = pl.when(valid).then(pl.col("_dup_key"))
    if source.duplicate.latest is None:
        kept = key.is_last_distinct() if keep == "last" else key.is_first_distinct()
    else:  # the greatest value stands (blank lowest); among equal ones, `keep` decides
        numbered = frame.with_row_index("_position")
        standing = (
            numbered.filter(valid)
            .sort(
                ["_dup_order", "_position"], descending=[False, keep == "first"], nulls_last=False
            )
            .group_by("_dup_key")
            .agg(pl.col("_position").last())
            .get_column("_position")
        )
        kept = pl.int_range(pl.len(), dtype=pl.UInt32).is_in(standing.implode())
    return frame.with_columns(
        _reason=pl.when(valid & ~kept).then(pl.lit(reason)).otherwise(pl.col("_reason"))
    )


def _expr(column: str | pl.Expr) -> pl.Expr:
    return pl.col(column) if isinstance(column, str) else column


def _key_columns(source: Source) -> dict[str, str]:
    keys = {"person_key": "_id_for_key"}
    if source.name_keyed:  # the sources whose names the rules compare
        keys["name_key"] = "_name_norm"
    return keys | source.pseudonyms


def _from_id() -> list[pl.Expr]:
    """Ages and sex come from the normalised identity number (rules.md), not the 出生日期 column."""
    return [
        identity.birth_date(pl.col("id18")).alias("id_birth_date"),
        identity.sex(pl.col("id18")).alias("id_sex"),
    ]


def _lineage() -> list[pl.Expr]:
    return [pl.col("_file").alias("source_file"), pl.col("_row").alias("source_row")]


def _invalid_numbers(quarantined: pl.DataFrame, table_columns: list[str]) -> pl.DataFrame:
    """Rows quarantined for their identity number that still raise leads (IDENTITY_MISMATCH).

    Keyed by the pseudonym of the number as delivered (cleaned), so the lead can
    show that number from the vault; no birth date or sex can be read from it.
    """
    rows = quarantined.filter(pl.col("_reason").is_in(ID_REASONS))
    return rows.select(
        *[c for c in table_columns if c not in ("id_birth_date", "id_sex")],
        pl.col("_reason").alias("reason"),
        pl.lit(None, dtype=pl.Date).alias("id_birth_date"),
        pl.lit(None, dtype=pl.String).alias("id_sex"),
    )


def _vault_people(
    source: Source, period: str, loaded: list[pl.LazyFrame], quarantined: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Each person's name as this source delivered it (vault.people) and identity number
    (vault.identities, where each number is kept once), by person_key."""
    frames = [
        part.select("person_key", pl.col("_id_number").alias("id_number"), "_raw_name")
        for part in loaded
    ]
    if source.invalid_numbers:
        invalid = quarantined.lazy().filter(
            pl.col("_reason").is_in(ID_REASONS) & pl.col("person_key").is_not_null()
        )
        frames.append(
            invalid.select(  # a blank number is shown as delivered: empty
                "person_key", pl.col("_id_cleaned").fill_null("").alias("id_number"), "_raw_name"
            )
        )
    people = (  # one row per person first: a city's settlements name each patient many times
        pl.concat(frames)
        .unique(subset="person_key", keep="first", maintain_order=True)
        .with_columns(pl.col("_raw_name").str.strip_chars())
        .collect()
    )
    names = people.select(
        pl.lit(period).alias("period"),
        pl.lit(source.name).alias("source"),
        "person_key",
        pl.col("_raw_name").alias("name"),
    )
    return names, people.select("person_key", "id_number")


def _vault_documents(source: Source, period: str, loaded: list[pl.LazyFrame]) -> pl.DataFrame:
    """The documents a source delivers that only a roster may show, by the table's key."""
    return pl.concat(
        part.select(
            pl.lit(period).alias("period"),
            pl.lit(source.name).alias("source"),
            *source.key_columns,
            **source.vault_columns,
        )
        for part in loaded
    ).collect()


def _vault_quarantine(source: Source, period: str, quarantined: pl.DataFrame) -> pl.DataFrame:
    raw = pl.struct(pl.col(f"_raw_{c}").alias(chinese) for chinese, c in source.columns.items())
    return quarantined.select(
        pl.lit(period).alias("period"),
        pl.lit(source.name).alias("source"),
        pl.col("source_file").alias("file"),
        pl.col("source_row").alias("row_number"),
        pl.col("_reason").alias("reason"),
        raw.struct.json_encode().alias("raw_values"),
    )


def _accounting(
    source: str, period: str, raws: list[RawFile], reasons: pl.DataFrame
) -> pl.DataFrame:
    skipped = pl.col("_reason") == DUPLICATE_FILE
    per_file = reasons.group_by(pl.col("source_file").alias("_file")).agg(
        rows_read=pl.len(),
        rows_loaded=pl.col("_reason").is_null().sum(),
        rows_quarantined=(pl.col("_reason").is_not_null() & ~skipped).sum(),
        rows_skipped=skipped.sum(),
    )
    meta = pl.DataFrame(
        {
            "_file": [r.path.name for r in raws],
            "file_format": [r.file_format for r in raws],
            "encoding": [r.encoding for r in raws],
            "header_row": [r.header_row for r in raws],
            "blank_rows_skipped": [r.blank_rows for r in raws],
            "totals_rows_skipped": [r.totals_rows for r in raws],
            "extra_columns": ["、".join(r.extra_columns) for r in raws],
        },
        schema_overrides={"encoding": pl.String},
    )
    return (
        meta.join(per_file, on="_file", how="left")
        .with_columns(
            pl.col("rows_read", "rows_loaded", "rows_quarantined", "rows_skipped")
            .fill_null(0)
            .cast(pl.Int64)
        )
        .select(
            pl.lit(period).alias("period"),
            pl.lit(source).alias("source"),
            pl.col("_file").alias("file"),
            pl.exclude("_file"),
        )
        .sort("file")
    )
