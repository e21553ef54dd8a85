"""Where things live: inbox, outputs and the warehouse, from flags or environment.

`DOUDI_WAREHOUSE` is the one setting that Dagster and the dbt profile share.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_INBOX = Path("data/inbox")
DEFAULT_OUT = Path("data/out")
WAREHOUSE_ENV = "DOUDI_WAREHOUSE"


@dataclass(frozen=True)
class Paths:
    inbox: Path
    out: Path
    warehouse: Path

    @classmethod
    def resolve(cls, inbox: Path | str | None = None, out: Path | str | None = None) -> Paths:
        inbox_path = Path(inbox or os.environ.get("DOUDI_INBOX") or DEFAULT_INBOX)
        out_path = Path(out or os.environ.get("DOUDI_OUT") or DEFAULT_OUT)
        warehouse = Path(os.environ.get(WAREHOUSE_ENV) or out_path / "warehouse.duckdb")
        return cls(
            inbox=inbox_path.resolve(), out=out_path.resolve(), warehouse=warehouse.resolve()
        )

    def prepare_dagster_home(self) -> Path:
        """OUT/dagster_home (unless DAGSTER_HOME says otherwise), local storage, no telemetry:
        `doudi ui` shows the runs `doudi run` made."""
        home = Path(os.environ.setdefault("DAGSTER_HOME", str(self.out / "dagster_home")))
        home.mkdir(parents=True, exist_ok=True)
        settings = home / "dagster.yaml"
        if not settings.exists():
            settings.write_text("telemetry:\n  enabled: false\n")
        return home

    def export(self) -> None:
        """Publish the paths to the environment so Dagster code and dbt read the same ones."""
        os.environ["DOUDI_INBOX"] = str(self.inbox)
        os.environ["DOUDI_OUT"] = str(self.out)
        os.environ[WAREHOUSE_ENV] = str(self.warehouse)
