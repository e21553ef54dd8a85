"""The command line's start-up: Dagster, dbt and GX imported once, frozen for the collector."""

import gc

from orchestration import cli


def test_the_runner_is_imported_with_its_objects_frozen_and_the_collector_back_on():
    gc.unfreeze()
    try:
        run_period = cli._runner()
        assert run_period.__module__ == "orchestration.runner"
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
