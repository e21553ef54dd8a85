"""Keyed pseudonyms: HMAC-SHA-256 of a normalised identity number under a secret key.

Outside the vault the warehouse knows a person only by `person_key`, the first
60 bits of that HMAC as a BIGINT (compact integer keys make the joins fast).
The HMAC runs inside DuckDB (sha256 over blobs), vectorised and parallel; a test
checks it against Python's `hmac` module.
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from doudi_core.warehouse import DUCKDB_CONFIG

KEY_ENV = "DOUDI_PSEUDONYM_KEY"
KEY_FILE_ENV = "DOUDI_PSEUDONYM_KEY_FILE"
DEFAULT_KEY_FILE = Path("data/pseudonym.key")


class PseudonymKeyError(RuntimeError):
    """No usable pseudonym key."""


class PseudonymCollision(RuntimeError):
    """Two values share a pseudonym: the key space is too small or the key is wrong."""


@dataclass(frozen=True)
class PseudonymKey:
    secret: bytes
    origin: str

    def _pads(self) -> tuple[str, str]:
        block = self.secret.ljust(64, b"\0")
        inner = bytes(b ^ 0x36 for b in block).hex()
        outer = bytes(b ^ 0x5C for b in block).hex()
        return inner, outer

    def hmac_hex_sql(self, value_sql: str) -> str:
        """SQL for the hex HMAC-SHA-256 of a VARCHAR expression."""
        inner, outer = self._pads()
        return f"sha256(unhex('{outer}') || unhex(sha256(unhex('{inner}') || encode({value_sql}))))"

    def key_sql(self, value_sql: str) -> str:
        """SQL for the BIGINT pseudonym (60 bits of the HMAC) of a VARCHAR expression."""
        return f"('0x' || left({self.hmac_hex_sql(value_sql)}, 15))::BIGINT"


def load_key(require_explicit: bool = False, create: bool = False) -> PseudonymKey:
    """The key from DOUDI_PSEUDONYM_KEY (hex) or a key file; never from the repository.

    Without either, a local development key file is used (and made when `create`),
    unless the configuration demands an explicit key (production).
    """
    if os.environ.get(KEY_ENV):
        return PseudonymKey(bytes.fromhex(os.environ[KEY_ENV]), f"${KEY_ENV}")
    key_file = os.environ.get(KEY_FILE_ENV)
    if key_file:
        return PseudonymKey(_read_key_file(Path(key_file)), key_file)
    if require_explicit:
        raise PseudonymKeyError(
            f"no pseudonym key: set {KEY_ENV} (hex) or {KEY_FILE_ENV}; the configuration "
            "requires an explicit key (pseudonym.require_explicit_key = true)"
        )
    path = DEFAULT_KEY_FILE.resolve()
    if not path.exists():
        if not create:
            raise PseudonymKeyError(
                f"no pseudonym key: set {KEY_ENV} or {KEY_FILE_ENV}, or run `doudi demo` "
                f"once to create a development key at {path}"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return PseudonymKey(_read_key_file(path), str(path))


def _read_key_file(path: Path) -> bytes:
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise PseudonymKeyError(
            f"pseudonym key file {path} must be readable by its owner only (chmod 600)"
        )
    return bytes.fromhex(path.read_text().strip())


def add_keys(frame: pl.DataFrame, key: PseudonymKey, columns: dict[str, str]) -> pl.DataFrame:
    """Add BIGINT pseudonym columns: `columns` maps new column -> source VARCHAR column.

    Each distinct value is hashed once, then joined back by value (never by row
    position), so the result cannot be misaligned. Null inputs give null keys. Two
    distinct values given one pseudonym would merge two people: that stops the ingest
    (across calls, `vault.identities` catches an identity number's key naming another).
    """
    values = pl.concat([frame.get_column(src).alias("value") for src in columns.values()])
    distinct = values.drop_nulls().unique().to_frame()
    con = duckdb.connect(config=DUCKDB_CONFIG)
    try:
        con.register("distinct_values", distinct)
        lookup = con.sql(
            f"SELECT value, {key.key_sql('value')} AS pseudonym FROM distinct_values"
        ).pl()
    finally:
        con.close()
    if lookup.get_column("pseudonym").n_unique() != lookup.height:
        raise PseudonymCollision(
            f"two of {lookup.height:,} distinct values share a pseudonym ({', '.join(columns)})"
        )
    keys = {}
    for new, src in columns.items():  # join one column at a time: the wide frame is never copied
        keys[new] = (
            frame.select(pl.col(src).alias("value"))
            .join(lookup, on="value", how="left", maintain_order="left")
            .get_column("pseudonym")
            .alias(new)
        )
    return frame.with_columns(**keys)
