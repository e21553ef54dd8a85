"""The bureau's configuration file (config/doudi.toml), loaded once per run."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config" / "doudi.toml"


@dataclass(frozen=True)
class Config:
    """Parsed configuration; `raw` keeps the file's tables for the stages that own them."""

    path: Path
    version: str
    raw: dict[str, Any]

    def rule(self, code: str) -> dict[str, Any]:
        return self.raw["rules"][code]

    @property
    def rule_codes(self) -> list[str]:
        return list(self.raw["rules"])

    def county_figures(self, table: str) -> dict[str, float]:
        """A per-county table such as `dibao_standard_yuan`, without its labels."""
        return {k: v for k, v in self.raw[table].items() if k.isdigit()}


def load_config(path: Path | str | None = None) -> Config:
    """Load the configuration; `DOUDI_CONFIG` overrides the shipped file."""
    chosen = Path(path or os.environ.get("DOUDI_CONFIG") or DEFAULT_CONFIG)
    with chosen.open("rb") as handle:
        raw = tomllib.load(handle)
    return Config(path=chosen, version=str(raw["version"]), raw=raw)
