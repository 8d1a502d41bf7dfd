"""The queue's contract step by step, on an explicit clock: outbox, dedupe, claim order, leases, retries."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import Engine, func, select

from lottocrm.audit.service import Actor
from lottocrm.db.engine import transaction
from lottocrm.jobs import service
from lottocrm.jobs.models import Job
from lottocrm.jobs.service import Backoff
from lottocrm.players.models import Player

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(seconds=30)


def _player(player_id: int) -> Player:
    return Player(
        id=player_id,
        last_name="Иванов",
        first_name="Иван",
        search_name="иванов иван",
        registered_at=T0,
        registration_channel="website",
        created_at=T0,
    )


def _count(engine: Engine, model: type) -> int:
    with transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def _enqueue(engine: Engine, **kwargs) -> int:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        job_id = service.enqueue(session, **{"kind": "test.echo", "run_at": T0, **kwargs})
    assert job_id is not None
    return job_id


def _claim(engine: Engine, now: dt.datetime, **kwargs) -> list[service.ClaimedJob]:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        return service.claim(
            session, **{"worker": "w1", "kinds": ["test.echo"], "lease": LEASE, "now": now, **kwargs}
        )


def test_job_enqueued_with_a_change_is_rolled_back_with_it(engine: Engine) -> None:
    with pytest.raises(RuntimeError), transaction(engine) as session:
        session.add(_player(1))
        session.flush()
        service.enqueue(session, kind="players.welcome", payload={"player_id": 1})
        raise RuntimeError("the registration failed after the job was enqueued")
    assert _count(engine, Job) == 0
    assert _count(engine, Player) == 0

    with transaction(engine) as session:
        session.add(_player(1))
        session.flush()
        service.enqueue(session, kind="players.welcome", payload={"player_id": 1})
    assert _count(engine, Job) == 1
    assert _count(engine, Player) == 1


def test_dedupe_key_yields_one_job_and_keeps_the_transaction_usable(engine: Engine) -> None:
    with transaction(engine) as session:
        first = service.enqueue(session, kind="test.echo", dedupe_key="draw-42-results")
        second = service.enqueue(session, kind="test.echo", dedupe_key="draw-42-results")
        session.add(_player(7))
    assert first is not None
    assert second is None
    assert _count(engine, Job) == 1
    assert _count(engine, Player) == 1
    with transaction(engine) as session:
        assert service.enqueue(session, kind="test.echo", dedupe_key="draw-42-results") is None
    assert _count(engine, Job) == 1


def test_claim_takes_due_jobs_by_priority_then_age_and_only_known_kinds_and_queues(engine: Engine) -> None:
    old = _enqueue(engine, run_at=T0 - dt.timedelta(minutes=5))
    urgent = _enqueue(engine, priority=10)
    _enqueue(engine, run_at=T0 + dt.timedelta(minutes=1))  # not due yet
    _enqueue(engine, kind="test.unknown")
    other_queue = _enqueue(engine, queue="bulk")

    claimed = _claim(engine, T0, limit=10, queues=["default"])
    assert [job.id for job in claimed] == [urgent, old]
    assert all(job.attempt == 1 for job in claimed)
    assert [job.id for job in _claim(engine, T0, limit=10)] == [other_queue]
    assert _claim(engine, T0, limit=10) == []


def test_enqueue_refuses_zero_attempts(engine: Engine) -> None:
    with pytest.raises(ValueError, match="max_attempts"), transaction(engine) as session:
        service.enqueue(session, kind="test.echo", max_attempts=0)


def test_failed_attempts_back_off_exponentially_then_the_job_is_dead_with_its_error(
    engine: Engine, job_row
) -> None:  # type: ignore[no-untyped-def]
    job_id = _enqueue(engine, max_attempts=3)
    backoff = Backoff(base=dt.timedelta(seconds=10), cap=dt.timedelta(hours=1))
    now = T0
    for attempt, ceiling in [(1, 10), (2, 20)]:
        (job,) = _claim(engine, now)
        assert job.attempt == attempt
        with transaction(engine) as session:
            assert (
                service.fail(session, job=job, error=f"gateway timeout #{attempt}", backoff=backoff, now=now)
                == "queued"
            )
        row = job_row(job_id)
        delay = (row.run_at - now).total_seconds()
        assert ceiling / 2 <= delay <= ceiling
        assert row.status == "queued"
        assert _claim(engine, now) == []  # not before the backoff has passed
        now = row.run_at

    (job,) = _claim(engine, now)
    with transaction(engine) as session:
        assert service.fail(session, job=job, error="gateway timeout #3", backoff=backoff, now=now) == "dead"
    row = job_row(job_id)
    assert (row.status, row.attempts, row.last_error) == ("dead", 3, "gateway timeout #3")
    assert _claim(engine, now + dt.timedelta(days=1)) == []


def test_backoff_grows_doubles_is_jittered_and_capped() -> None:
    backoff = Backoff(base=dt.timedelta(seconds=10), cap=dt.timedelta(seconds=100))
    rng = random.Random(1)
    delays = {
        attempt: [backoff.delay(attempt, rng).total_seconds() for _ in range(200)] for attempt in (1, 2, 3, 9)
    }
    assert 5 <= min(delays[1]) <= max(delays[1]) <= 10
    assert 10 <= min(delays[2]) <= max(delays[2]) <= 20
    assert 20 <= min(delays[3]) <= max(delays[3]) <= 40
    assert 50 <= min(delays[9]) <= max(delays[9]) <= 100
    assert len(set(delays[1])) > 100, "retries of jobs that failed together must spread out"


def test_an_expired_lease_is_taken_over_and_the_old_holder_is_fenced_off(engine: Engine, job_row) -> None:  # type: ignore[no-untyped-def]
    job_id = _enqueue(engine)
    (first,) = _claim(engine, T0)
    assert _claim(engine, T0 + LEASE / 2) == []  # the lease still holds

    with transaction(engine) as session:
        assert service.heartbeat(session, leases=[(job_id, 1)], lease=LEASE, now=T0 + LEASE / 2) == []
    assert _claim(engine, T0 + LEASE) == []  # the heartbeat moved the lease on

    (second,) = _claim(engine, T0 + 2 * LEASE, worker="w2")
    assert second.attempt == 2
    with transaction(engine) as session:
        assert service.heartbeat(session, leases=[(job_id, 1)], lease=LEASE) == [job_id]
        assert service.complete(session, job=first) is False
        assert service.fail(session, job=first, error="late") is None
        assert service.complete(session, job=second) is True
    row = job_row(job_id)
    assert (row.status, row.attempts, row.locked_by, row.last_error) == ("done", 2, "w2", None)


def test_a_job_whose_worker_died_on_its_last_attempt_is_buried(engine: Engine, job_row) -> None:  # type: ignore[no-untyped-def]
    job_id = _enqueue(engine, max_attempts=1)
    assert len(_claim(engine, T0)) == 1
    assert _claim(engine, T0 + 2 * LEASE) == []
    row = job_row(job_id)
    assert row.status == "dead"
    assert "lease expired" in (row.last_error or "")


def test_operator_retry_gives_dead_jobs_fresh_attempts(engine: Engine, job_row) -> None:  # type: ignore[no-untyped-def]
    dead = _enqueue(engine, max_attempts=1)
    waiting = _enqueue(engine, run_at=T0 + dt.timedelta(hours=1))
    (job,) = _claim(engine, T0)
    with transaction(engine) as session:
        service.fail(session, job=job, error="boom", now=T0)
    with transaction(engine) as session:
        assert service.retry(session, actor=Actor("cli:ops"), job_ids=[dead, waiting, 999], now=T0) == [dead]
    row = job_row(dead)
    assert (row.status, row.attempts) == ("queued", 0)
    assert row.last_error == "boom", "the operator still sees why it died before"
    assert [claimed.id for claimed in _claim(engine, T0 + dt.timedelta(seconds=1))] == [dead]


def test_enqueue_many_inserts_a_campaign_in_one_statement_and_skips_known_keys(engine: Engine) -> None:
    with transaction(engine) as session:
        service.enqueue(session, kind="sms.send", dedupe_key="campaign-7:player-2")
    payloads = [{"player_id": n} for n in range(1, 6)]
    keys = [f"campaign-7:player-{n}" for n in range(1, 6)]

    with transaction(engine) as session:
        assert service.enqueue_many(session, kind="sms.send", payloads=payloads, dedupe_keys=keys) == 4
        assert service.enqueue_many(session, kind="sms.send", payloads=payloads, dedupe_keys=keys) == 0
        assert service.enqueue_many(session, kind="sms.send", payloads=[]) == 0
    with pytest.raises(RuntimeError), transaction(engine) as session:
        service.enqueue_many(session, kind="sms.send", payloads=payloads)
        raise RuntimeError("the campaign launch failed")

    with transaction(engine) as session:
        rows = session.execute(select(Job.dedupe_key, Job.payload).order_by(Job.dedupe_key)).all()
    assert [(key, payload) for key, payload in rows] == [
        ("campaign-7:player-1", {"player_id": 1}),
        ("campaign-7:player-2", {}),
        ("campaign-7:player-3", {"player_id": 3}),
        ("campaign-7:player-4", {"player_id": 4}),
        ("campaign-7:player-5", {"player_id": 5}),
    ]
    with pytest.raises(ValueError, match="5 payloads but 1 dedupe keys"), transaction(engine) as session:
        service.enqueue_many(session, kind="sms.send", payloads=payloads, dedupe_keys=["x"])
