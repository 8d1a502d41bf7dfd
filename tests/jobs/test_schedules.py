"""Cron schedules: fire times in the schedule's zone, one job per due fire, missed fires coalesced."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import Engine, select

from lottocrm.audit.service import Actor
from lottocrm.db.engine import transaction
from lottocrm.jobs import schedules
from lottocrm.jobs.models import Job, JobSchedule

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)

OPS = Actor("cli:ops")


def _fires(engine: Engine) -> list[dt.datetime]:
    with transaction(engine) as session:
        return list(session.scalars(select(Job.run_at).order_by(Job.run_at)))


def _tick(engine: Engine, now: dt.datetime) -> int:
    with transaction(engine) as session:
        return schedules.tick(session, now=now)


def test_fire_times_are_read_in_the_schedules_time_zone() -> None:
    # 03:00 in Moscow (UTC+3, no DST) is midnight UTC.
    assert schedules.next_fire_after("0 3 * * *", "Europe/Moscow", T0) == dt.datetime(
        2026, 3, 3, 0, 0, tzinfo=dt.UTC
    )
    assert schedules.latest_fire_at_or_before("0 3 * * *", "Europe/Moscow", T0) == dt.datetime(
        2026, 3, 2, 0, 0, tzinfo=dt.UTC
    )


def test_a_fire_exactly_now_is_due_now() -> None:
    assert schedules.latest_fire_at_or_before("*/15 * * * *", "UTC", T0) == T0
    assert schedules.next_fire_after("*/15 * * * *", "UTC", T0) == T0 + 15 * MINUTE


def test_bad_definitions_are_refused_with_a_clear_message(engine: Engine) -> None:
    with (
        pytest.raises(schedules.ScheduleError, match="not a cron expression"),
        transaction(engine) as session,
    ):
        schedules.save_schedule(session, actor=OPS, name="x", cron="every day", kind="k", now=T0)
    with pytest.raises(schedules.ScheduleError, match="unknown time zone"), transaction(engine) as session:
        schedules.save_schedule(
            session, actor=OPS, name="x", cron="0 3 * * *", kind="k", timezone="Mars/Olympus", now=T0
        )


def test_each_due_fire_is_enqueued_once(engine: Engine) -> None:
    with transaction(engine) as session:
        schedules.save_schedule(
            session, actor=OPS, name="fast-draw", cron="*/15 * * * *", kind="draws.close", now=T0
        )

    assert _tick(engine, T0 + 14 * MINUTE) == 0
    assert _tick(engine, T0 + 15 * MINUTE) == 1
    assert _tick(engine, T0 + 16 * MINUTE) == 0
    assert _tick(engine, T0 + 31 * MINUTE) == 1
    assert _fires(engine) == [T0 + 15 * MINUTE, T0 + 30 * MINUTE]


def test_missed_fires_after_downtime_are_coalesced_into_the_latest(engine: Engine) -> None:
    with transaction(engine) as session:
        schedules.save_schedule(
            session, actor=OPS, name="fast-draw", cron="*/15 * * * *", kind="draws.close", now=T0
        )

    assert _tick(engine, T0 + dt.timedelta(hours=5, minutes=7)) == 1

    assert _fires(engine) == [T0 + dt.timedelta(hours=5)]
    with transaction(engine) as session:
        schedule = session.scalar(select(JobSchedule))
        assert schedule is not None
        assert schedule.last_fire_at == T0 + dt.timedelta(hours=5)
        assert schedule.next_fire_at == T0 + dt.timedelta(hours=5, minutes=15)


def test_disabled_schedules_do_not_fire_and_redefining_moves_the_next_fire(engine: Engine) -> None:
    with transaction(engine) as session:
        schedules.save_schedule(
            session, actor=OPS, name="r", cron="0 * * * *", kind="k", enabled=False, now=T0
        )
    assert _tick(engine, T0 + dt.timedelta(hours=3)) == 0
    with transaction(engine) as session:
        saved = schedules.save_schedule(session, actor=OPS, name="r", cron="30 * * * *", kind="k", now=T0)
        assert saved.next_fire_at == T0 + 30 * MINUTE
    assert _tick(engine, T0 + 30 * MINUTE) == 1


def test_two_schedulers_ticking_at_once_enqueue_each_fire_exactly_once(engine: Engine) -> None:
    with transaction(engine) as session:
        for name in ("a", "b", "c"):
            schedules.save_schedule(session, actor=OPS, name=name, cron="* * * * *", kind="k", now=T0)
    due_times = [T0 + minutes * MINUTE for minutes in range(1, 21)]
    start_together = threading.Barrier(2)
    counts: list[int] = []
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            for now in due_times:
                start_together.wait(timeout=30)
                counts.append(_tick(engine, now))
        except BaseException as error:  # surfaced below: a thread's exception would otherwise vanish
            errors.append(error)
            start_together.abort()

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(counts) == 3 * len(due_times)
    with transaction(engine) as session:
        keys = list(session.scalars(select(Job.dedupe_key)))
    assert len(keys) == len(set(keys)) == 3 * len(due_times)


def test_the_dedupe_key_stops_a_second_job_for_a_fire_even_from_a_stale_scheduler(engine: Engine) -> None:
    with transaction(engine) as session:
        schedules.save_schedule(session, actor=OPS, name="nightly", cron="0 0 * * *", kind="k", now=T0)
    tomorrow = dt.datetime(2026, 3, 3, 0, 0, tzinfo=dt.UTC)
    assert _tick(engine, tomorrow) == 1
    with transaction(engine) as session:
        schedule = session.scalar(select(JobSchedule))
        assert schedule is not None
        schedule.next_fire_at = tomorrow  # what a scheduler that read the row before the first tick believes

    assert _tick(engine, tomorrow + MINUTE) == 0
    assert _fires(engine) == [tomorrow]
