"""What a department's extract is, declared once (extracts.md): everything the generic
ingest, quality gates, loading and dbt staging need to know of one source.

A source module (`sources/<name>.py`) builds one `Source`; nothing outside the source
modules branches on a source's name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import polars as pl

from doudi_core.places import COUNTIES

# a town code is one of the city's eight county codes and three digits (GX's SQL engine has
# no regex for DuckDB, so the match is a derived column). No colon: GX hands the query to
# SQLAlchemy's text(), which would read ":321302" as a parameter.
TOWN_IN_CITY = (
    f"coalesce(regexp_full_match(town_code, '({'|'.join(sorted(COUNTIES))})[0-9]{{3}}'), true)"
)


@dataclass(frozen=True)
class Duplicate:
    """What a delivery's valid rows must not repeat (a spool column, or an expression over
    the spool's columns), the quarantine reason of a repeat, and which copy stands: the
    first or the last by file and row (`keep`), or, with `latest`, the copy with the
    greatest value of it (blank lowest), `keep` breaking ties."""

    column: str | pl.Expr
    reason: str
    keep: Literal["first", "last"] = "first"
    latest: pl.Expr | None = None


@dataclass(frozen=True)
class Balance:
    """A derived amount (SQL over the table) that must be zero: a blocking check on nearly
    every row (at most the configured share `gate` off) and a warning on every row."""

    column: str
    sql: str
    what: str
    gate: str


@dataclass(frozen=True)
class InvalidNumbers:
    """A side table of the rows quarantined for their identity number that must still be
    acted on (they raise leads): kept keyed by the number as delivered, people in the vault."""

    table: str
    description: str


@dataclass(frozen=True)
class Source:
    name: str
    label: str  # who sends it, for messages
    columns: dict[str, str]  # the contract's Chinese column name -> raw field
    # raw string columns -> parsed columns and `_reason` (ingest/normalise.py has the parts)
    normalise: Callable[[pl.DataFrame, dt.date], pl.DataFrame]
    # the pseudonymous table's own columns (its period, identity-derived and lineage
    # columns are added by the ingest); no identity numbers, no names
    project: Callable[[], list[pl.Expr | str]]
    duplicate: Duplicate
    key_columns: tuple[str, ...]  # what no two rows of a delivery share in the table
    optional_columns: frozenset[str] = frozenset()
    # a source added after the first four: an inbox may never have had it (its rules skip)
    required: bool = True
    snapshot: bool = True  # full snapshot (latest stands) vs accumulating stream
    period_column: str = "period"  # the table's column naming the delivery's period
    # pseudonyms besides person_key: table column -> the normalised column it keys
    pseudonyms: dict[str, str] = field(default_factory=dict)
    name_keyed: bool = False  # the rules compare its names: name_key is added
    # pseudonym source for a row without any identity number (the rules must still see it)
    missing_number_key: Callable[[], pl.Expr] | None = None
    invalid_numbers: InvalidNumbers | None = None
    # the table's coded columns -> their code table (as delivered -> canonical)
    code_tables: dict[str, dict[str, str]] = field(default_factory=dict)
    date_columns: tuple[str, ...] = ()
    # date columns whose values after as_of are kept, and a warning says why it counts them
    late_dates: dict[str, str] = field(default_factory=dict)
    # warnings: derived column -> (SQL over the table that must be true, what it guards)
    row_flags: dict[str, tuple[str, str]] = field(default_factory=dict)
    balances: tuple[Balance, ...] = ()
    # documents kept only in the vault, by the table's key (a roster shows them): vault
    # column -> expression over the raw fields (`_raw_<field>`)
    vault_columns: dict[str, pl.Expr] = field(default_factory=dict)
    # volume against the previous delivery: the gate's share, and what is counted
    volume_gate: str = "max_snapshot_change_share"
    volume_filter: str | None = None  # SQL condition on the rows counted as volume
    volume_noun: str = "rows"

    @property
    def key_sql(self) -> str:
        """The key as one SQL value (a row of its columns when there are several)."""
        columns = self.key_columns
        return columns[0] if len(columns) == 1 else f"({', '.join(columns)})"

    @property
    def required_columns(self) -> list[str]:
        return [c for c in self.columns if c not in self.optional_columns]

    @property
    def accepted_values(self) -> dict[str, list[str]]:
        """Each coded column's canonical values, in the contract's order."""
        return {
            column: list(dict.fromkeys(table.values()))
            for column, table in self.code_tables.items()
        }

    @property
    def derived(self) -> dict[str, str]:
        """SQL of every derived column the quality suites validate."""
        return {
            **{name: sql for name, (sql, _) in self.row_flags.items()},
            **{b.column: b.sql for b in self.balances},
        }

    @property
    def tables(self) -> list[str]:
        """The warehouse tables (schema `ingested`) a delivery of this source writes."""
        return [self.name] + ([self.invalid_numbers.table] if self.invalid_numbers else [])


def same(*names: str) -> dict[str, str]:
    """A code table whose values are delivered as written."""
    return {name: name for name in names}


def with_codes(names: list[str], codes: list[str]) -> dict[str, str]:
    """A code table delivered as the names or as their codes."""
    return {**same(*names), **dict(zip(codes, names, strict=True))}


YES_NO = same("是", "否")
