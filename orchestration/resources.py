"""Resources shared by every asset: where the inbox, outputs and warehouse are."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from doudi_core.config import Config, load_config
from doudi_core.pseudonym import PseudonymKey, load_key
from doudi_core.settings import DEFAULT_INBOX, DEFAULT_OUT, Paths
from doudi_core.warehouse import connect as connect_warehouse


class DoudiResource(dg.ConfigurableResource):
    """Where the inbox, outputs and warehouse are (DOUDI_WAREHOUSE is shared with the dbt profile)."""

    inbox: str = str(DEFAULT_INBOX)
    out: str = str(DEFAULT_OUT)
    warehouse: str = str(Path(DEFAULT_OUT) / "warehouse.duckdb")
    # recompute everything from the period's files, reusing nothing of earlier months'
    # work (the snapshots' memos, the medical window's state): `doudi run --recompute`
    recompute: bool = False

    @classmethod
    def from_paths(cls, paths: Paths, recompute: bool = False) -> DoudiResource:
        return cls(
            inbox=str(paths.inbox),
            out=str(paths.out),
            warehouse=str(paths.warehouse),
            recompute=recompute,
        )

    @property
    def inbox_path(self) -> Path:
        return Path(self.inbox).resolve()

    @property
    def out_path(self) -> Path:
        return Path(self.out).resolve()

    def config(self) -> Config:
        return load_config()

    def key(self) -> PseudonymKey:
        return load_key(require_explicit=self.config().raw["pseudonym"]["require_explicit_key"])

    def connect(self):
        """One writer at a time: DuckDB locks the file; every connection is closed after use."""
        return connect_warehouse(self.warehouse)
