"""The file-arrival sensor and the monthly schedule."""

import json

import dagster as dg

from orchestration.definitions import defs


def _tick(cursor=None):
    sensor = defs.resolve_sensor_def("inbox_sensor")
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
        return sensor.evaluate_tick(context)


def test_the_sensor_waits_for_every_source_then_runs_once_per_delivery(tmp_path, monkeypatch):
    monkeypatch.setenv("DOUDI_INBOX", str(tmp_path))
    period = tmp_path / "2026-10"
    for source in ("hukou", "medical", "disability"):
        (period / source).mkdir(parents=True)
        (period / source / "a.csv").write_text("x")
    incomplete = _tick()
    assert incomplete.run_requests == []

    (period / "lowincome").mkdir()
    (period / "lowincome" / "a.csv").write_text("x")
    complete = _tick(incomplete.cursor)
    assert [r.partition_key for r in complete.run_requests] == ["2026-10"]

    again = _tick(complete.cursor)
    assert again.run_requests == []

    (period / "medical" / "b.csv").write_text("late file")
    changed = _tick(again.cursor)
    assert [r.partition_key for r in changed.run_requests] == ["2026-10"]
    assert changed.run_requests[0].run_key != complete.run_requests[0].run_key
    assert set(json.loads(changed.cursor)) == {"2026-10"}


def test_folders_that_are_not_periods_are_ignored(tmp_path, monkeypatch):
    monkeypatch.setenv("DOUDI_INBOX", str(tmp_path))
    for source in ("hukou", "medical", "disability", "lowincome"):
        (tmp_path / "backup" / source).mkdir(parents=True)
        (tmp_path / "backup" / source / "a.csv").write_text("x")
    assert _tick().run_requests == []


def test_the_monthly_schedule_runs_the_previous_month():
    schedule = defs.resolve_schedule_def("monthly_schedule")
    assert schedule.cron_schedule == "0 6 5 * *"
    assert schedule.job_name == "monthly"
