"""The benchmark's summary of a run (benchmarks/bench.py), on hand-written stage times."""

import pytest

from benchmarks.bench import OUTPUT_STEPS, median_outputs_and_rest, outputs_and_rest


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


def test_the_medians_are_each_runs_own():
    """A slow run is set against its own steps: run b spent 8 s outside its steps, a and c 5
    and 4, so the median is 5. Taken from the stages' medians (44 + 2 against the median
    run's 50 s) it would be 4."""
    runs = [  # (seconds, peak MiB, stages)
        (50.0, 0, {"hukou": 40.0, "rosters": 5.0}),
        (60.0, 0, {"hukou": 50.0, "rosters": 2.0}),
        (48.0, 0, {"hukou": 44.0, "rosters": 0.0}),
    ]
    outputs, outside = median_outputs_and_rest(runs)
    assert outputs == pytest.approx(2.0)  # the rosters: 5, 2, 0
    assert outside == pytest.approx(5.0)


def test_the_output_steps_are_the_runs_step_names():
    """The names are the monthly job's steps, as `stage_times` reads them from its event log:
    a renamed asset would otherwise count as zero seconds."""
    from orchestration.definitions import defs

    steps = {node.name for node in defs.resolve_job_def("monthly").graph.nodes}
    assert set(OUTPUT_STEPS) <= steps
