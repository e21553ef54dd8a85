"""The dbt project, in its own module: `@dbt_assets` reads the manifest at import."""

import os
import subprocess
import sys
from functools import cached_property
from pathlib import Path

import dbt.version
from dagster_dbt import DbtCliResource, DbtProject
from packaging.version import Version

DBT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"
DBT_EXECUTABLE = str(Path(sys.executable).parent / "dbt")  # the venv's dbt, activated or not
# the builds run it through this wrapper, which has it killed when the run dies
BOUND_DBT = str(Path(__file__).resolve().parent / "dbt_with_parent")

dbt_project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)


def ensure_manifest() -> Path:
    """Parse the project when its manifest is missing (a fresh clone) or older than any of the
    project's files (a model or its YAML edited since): Dagster reads assets from it."""
    manifest = dbt_project.manifest_path
    sources = [
        p
        for folder in ("models", "macros", "tests")
        for p in (DBT_DIR / folder).rglob("*")
        if p.is_file()
    ] + [DBT_DIR / "dbt_project.yml"]
    if not manifest.exists() or max(p.stat().st_mtime for p in sources) > manifest.stat().st_mtime:
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
    return manifest


class DbtCli(DbtCliResource):
    """dagster-dbt's dbt CLI, less two steps that cost seconds of every run and give nothing here.

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
    """The builds' dbt: this environment's, killed with the run that started it."""
    os.environ["DOUDI_DBT"] = DBT_EXECUTABLE  # read by the wrapper, in dbt's environment
    return DbtCli(project_dir=dbt_project, dbt_executable=BOUND_DBT)
