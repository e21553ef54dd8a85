"""The dbt project, in its own module: `@dbt_assets` reads the manifest at import."""

import subprocess
import sys
from functools import cached_property
from pathlib import Path

import dbt.version
from dagster_dbt import DbtCliResource, DbtProject
from packaging.version import Version

DBT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")  # the venv's dbt, activated or not

dbt_project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)


def ensure_manifest() -> Path:
    """Parse the project when its manifest is missing (a fresh clone); `make setup` does it too."""
    if not dbt_project.manifest_path.exists():
        subprocess.run(
            [
                DBT_EXECUTABLE,
                "parse",
                "--quiet",
                "--project-dir",
                str(DBT_DIR),
                "--profiles-dir",
                str(DBT_DIR),
            ],
            check=True,
        )
    return dbt_project.manifest_path


class DbtCli(DbtCliResource):
    """dagster-dbt's dbt CLI, less two steps that cost ~4.5 s of every run and give nothing here.

    Both override private methods of dagster-dbt (pinned exactly; the pipeline
    tests build the dbt assets through this resource):
    - the version comes from the installed dbt-core, not from `dbt --version` in
      a subprocess: DBT_EXECUTABLE is this environment's dbt;
    - no dbt adapter is opened inside the Dagster process: it serves only to
      fetch row counts and column metadata, which these assets do not ask for.
    """

    @cached_property
    def _cli_version(self) -> Version:
        return Version(dbt.version.__version__)

    def _initialize_dbt_core_adapter(self, args):
        return None


def dbt_cli() -> DbtCli:
    return DbtCli(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)
