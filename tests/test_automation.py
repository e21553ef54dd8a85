"""The file-arrival sensor and the monthly schedule."""

import datetime as dt
import json
from zoneinfo import ZoneInfo

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


def _schedule_tick(moment: dt.datetime):
    """The schedule evaluated at `moment`, as the daemon would."""
    schedule = defs.resolve_schedule_def("monthly_schedule")
    context = dg.build_schedule_context(
        scheduled_execution_time=moment, repository_def=defs.get_repository_def()
    )
    return schedule.evaluate_tick(context)


def _scheduled_partition(moment: dt.datetime) -> str:
    (request,) = _schedule_tick(moment).run_requests
    return request.partition_key


def test_the_monthly_schedule_runs_the_previous_month_at_six_in_shanghai():
    """The issue's instant: evaluated at 2026-11-05 06:00 it requests 2026-10, not 2026-11."""
    schedule = defs.resolve_schedule_def("monthly_schedule")
    assert schedule.cron_schedule == "0 6 5 * *"
    assert schedule.execution_timezone == "Asia/Shanghai"
    assert schedule.job_name == "monthly"
    shanghai = ZoneInfo("Asia/Shanghai")
    assert _scheduled_partition(dt.datetime(2026, 11, 5, 6, tzinfo=shanghai)) == "2026-10"
    # January runs December of the year before
    assert _scheduled_partition(dt.datetime(2026, 1, 5, 6, tzinfo=shanghai)) == "2025-12"


def test_the_schedules_month_is_shanghais_not_utcs():
    """2026-11-30 22:00 UTC is already 1 December in Shanghai: the month before is November."""
    moment = dt.datetime(2026, 11, 30, 22, tzinfo=dt.UTC)
    assert _scheduled_partition(moment) == "2026-11"


def test_a_december_without_next_years_holidays_is_skipped_with_what_to_add(
    tmp_path, monkeypatch, add_2027_holidays
):
    """rules.md: due dates count working days "(statutory holidays and make-up working days of
    the People's Republic of China observed)"; December 2026's fall in 2027, which the pinned
    chinese-calendar does not know. The schedule and the sensor skip it, saying what to add,
    instead of starting a run that stops after its ingest; the sensor starts it once the year
    is configured."""
    tick = _schedule_tick(dt.datetime(2027, 1, 5, 6, tzinfo=ZoneInfo("Asia/Shanghai")))
    assert not tick.run_requests
    assert "2026-12" in tick.skip_message and "[calendar.2027]" in tick.skip_message

    monkeypatch.setenv("DOUDI_INBOX", str(tmp_path))
    for source in ("hukou", "medical", "disability", "lowincome"):
        (tmp_path / "2026-12" / source).mkdir(parents=True)
        (tmp_path / "2026-12" / source / "a.csv").write_text("x")
    skipped = _tick()
    assert skipped.run_requests == [] and "[calendar.2027]" in skipped.skip_message

    add_2027_holidays()
    started = _tick(skipped.cursor)
    assert [r.partition_key for r in started.run_requests] == ["2026-12"]
