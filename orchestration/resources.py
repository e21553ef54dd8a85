"""Resources shared by every asset: where the inbox, outputs and warehouse are."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from doudi_core.config import Config, load_config
from doudi_core.pseudonym import PseudonymKey, load_key
from doudi_core.settings import DEFAULT_INBOX, DEFAULT_OUT, WAREHOUSE_ENV


class DoudiResource(dg.ConfigurableResource):
    """Paths come from DOUDI_INBOX / DOUDI_OUT / DOUDI_WAREHOUSE, the same as the dbt profile's."""

    inbox: str = dg.EnvVar("DOUDI_INBOX").get_value(str(DEFAULT_INBOX)) or str(DEFAULT_INBOX)
    out: str = dg.EnvVar("DOUDI_OUT").get_value(str(DEFAULT_OUT)) or str(DEFAULT_OUT)
    warehouse: str = os.environ.get(WAREHOUSE_ENV) or str(Path(DEFAULT_OUT) / "warehouse.duckdb")

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

    @contextmanager
    def connect(self):
        """One writer at a time: DuckDB locks the file; every connection is closed after use."""
        Path(self.warehouse).parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(self.warehouse)
        try:
            yield con
        finally:
            con.close()
