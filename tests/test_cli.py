"""The command line's start-up: Dagster, dbt and GX imported once, frozen for the collector."""

import subprocess
import sys

PROBE = """
import gc
from orchestration import cli
run_period = cli._runner()
print(gc.isenabled(), any(o is run_period for o in gc.get_objects()))
"""


def test_the_runner_is_imported_frozen_and_the_collector_is_back_on():
    """In a fresh interpreter: the collector no longer lists (so no longer scans) what the
    runner imported, and it runs again for everything made after."""
    probe = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True
    )
    enabled, runner_scanned = probe.stdout.split()
    assert enabled == "True"
    assert runner_scanned == "False"
