"""The benchmark's summary of a run (benchmarks/bench.py), on hand-written stage times."""

import pytest

from benchmarks.bench import OUTPUT_STEPS, outputs_and_rest


def test_the_output_steps_and_the_time_outside_every_step():
    """Issue 28 asks what a routine month costs against its read floor; the steps that write
    the outputs (dbt, rosters, county workbooks) bound that ratio from below whatever the
    ingest does. A rule's seconds are inside the lead states' step, so they are not a step."""
    stages = {
        "hukou": 20.0,
        "leads__lead_states": 10.0,
        "rule/ELDER_VISIT_OVERDUE": 1.5,  # inside the lead states' 10 s
        "doudi_dbt_models": 7.5,
        "rosters": 5.0,
        "exports__county_workbooks": 6.0,
    }
    outputs, outside = outputs_and_rest(52.0, stages)
    assert outputs == pytest.approx(7.5 + 5.0 + 6.0)
    assert outside == pytest.approx(52.0 - (20.0 + 10.0 + 7.5 + 5.0 + 6.0))


def test_the_output_steps_are_the_runs_step_names():
    """The names are the monthly job's steps, as `stage_times` reads them from its event log:
    a renamed asset would otherwise count as zero seconds."""
    from orchestration.definitions import defs

    steps = {node.name for node in defs.resolve_job_def("monthly").graph.nodes}
    assert set(OUTPUT_STEPS) <= steps
