"""Domain events: the catalogue, what the real code emits, the outbox's transaction and dedupe rules, and a
subscriber killed mid-run that is retried and acts once."""

from __future__ import annotations

import datetime as dt
import os
import signal
import uuid
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import Engine, func, select, text

from helpers.domain_events import emitted
from helpers.factories import IMPORT
from helpers.worker_processes import LEASE_SECONDS, lines, wait_for
from lottocrm import domains
from lottocrm.analytics.mart.writeback import replace_snapshot
from lottocrm.db.engine import transaction
from lottocrm.events.catalog import catalogue, read_payload
from lottocrm.events.model import EventPayload
from lottocrm.events.models import EventDelivery
from lottocrm.events.outbox import emit
from lottocrm.jobs.models import Job
from lottocrm.players import consents, responsible_gaming
from lottocrm.players import service as players
from lottocrm.players.events import ConsentChanged

T0 = dt.datetime(2026, 11, 2, 9, 30, tzinfo=dt.UTC)


def test_the_catalogue_names_each_event_once_with_its_domain_and_version() -> None:
    events = catalogue()
    assert {
        "players.consent_changed",
        "players.identity_changed",
        "players.registered",
        "players.responsible_gaming_changed",
        "ingest.tickets_committed",
        "ingest.wins_committed",
        "loyalty.points_earned",
        "loyalty.points_redeemed",
        "loyalty.tier_changed",
        "analytics.record_written",
    } <= set(events)
    installed = {domain.name for domain in domains.INSTALLED}
    for name, payload in events.items():
        assert name == payload.name and name.split(".")[0] in installed and payload.version >= 1


def test_players_changes_emit_valid_events(engine: Engine, seeded, listening) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        consents.record_consent(
            session,
            actor=IMPORT,
            player_id=1003,
            purpose="advertising",
            channel="push",
            granted=True,
            source="app",
            notice_version="v2",
            occurred_at=T0,
        )
        phone = players.add_identity(
            session, actor=IMPORT, player_id=1003, kind="phone", value="+79035550001"
        )
        players.replace_identity(
            session,
            actor=IMPORT,
            player_id=1003,
            identity_id=phone.id,
            value="+79035550002",
            reason="new phone",
        )
        responsible_gaming.change_responsible_gaming(
            session,
            actor=IMPORT,
            player_id=1003,
            self_excluded_until=dt.date(2027, 6, 1),
            monthly_spend_limit_kopecks=None,
        )
        replace_snapshot(
            session, as_of=dt.date(2026, 11, 1), mart=pa.table({"player_id": pa.array([], pa.int64())})
        )
    events = emitted(engine)
    assert [(e.name, e.player_id) for e in events] == [
        ("players.consent_changed", 1003),
        ("players.identity_changed", 1003),
        ("players.identity_changed", 1003),
        ("players.responsible_gaming_changed", 1003),
        ("analytics.record_written", None),
    ]
    payloads = [read_payload(event) for event in events]
    assert [p.change for p in payloads[1:3]] == ["added", "replaced"]  # type: ignore[attr-defined]
    assert payloads[3].self_excluded_until == dt.date(2027, 6, 1)  # type: ignore[attr-defined]


def test_nothing_is_enqueued_when_the_change_rolls_back(engine: Engine, seeded, listening) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuntimeError), transaction(engine) as session:
        players.add_identity(session, actor=IMPORT, player_id=1003, kind="email", value="a@b.ru")
        raise RuntimeError("the change failed after the event was emitted")
    assert emitted(engine) == []


def test_the_same_event_id_reaches_each_subscriber_once(engine: Engine, listening) -> None:  # type: ignore[no-untyped-def]
    fact = ConsentChanged(
        player_id=1,
        consent_event_id=7,
        purpose="advertising",
        channel="sms",
        granted=False,
        source="app",
        occurred_at=T0,
    )
    same = uuid.uuid4()
    for _ in range(2):
        with transaction(engine) as session:
            emit(session, fact, event_id=same)
    assert [event.id for event in emitted(engine)] == [same]


def test_an_event_not_in_the_catalogue_is_refused(engine: Engine) -> None:
    class Stray(EventPayload):
        name = "players.stray"
        player_id: int

    with pytest.raises(LookupError, match="players.stray"), transaction(engine) as session:
        emit(session, Stray(player_id=1))


@pytest.mark.slow
def test_a_subscriber_killed_mid_run_is_retried_and_acts_once(
    engine: Engine, seeded, start_worker, effects: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    """The test subscriber (tests/jobs/worker_main.py) inserts its effect inside ``once()`` and stalls there
    on its first attempt; killed, its transaction rolls back; the retry after the lease acts, exactly once."""
    from jobs.worker_main import TEST_DOMAIN

    monkeypatch.setattr(domains, "INSTALLED", (*domains.INSTALLED, TEST_DOMAIN))
    with transaction(engine) as session:
        session.execute(text("CREATE TABLE test_effects (event_id VARCHAR(36) NOT NULL)"))
        consents.record_consent(
            session,
            actor=IMPORT,
            player_id=1003,
            purpose="advertising",
            channel="sms",
            granted=True,
            source="website",
            notice_version="v1",
            occurred_at=T0,
        )
    victim = start_worker("--queues", "events")
    wait_for(
        lambda: any(line.startswith("started") for line in lines(effects)), 15, "the subscriber to start"
    )
    os.kill(victim.pid, signal.SIGKILL)
    assert victim.wait(timeout=10) == -signal.SIGKILL

    rescuer = start_worker("--queues", "events")
    wait_for(
        lambda: any(line.startswith("finished") for line in lines(effects)), LEASE_SECONDS + 20, "the retry"
    )
    rescuer.send_signal(signal.SIGTERM)
    assert rescuer.wait(timeout=15) == 0

    with transaction(engine) as session:
        effects_made = session.execute(text("SELECT event_id FROM test_effects")).scalars().all()
        delivered = session.scalar(
            select(func.count()).where(EventDelivery.subscriber == "test.count_consents")
        )
        (job,) = session.scalars(select(Job).where(Job.kind == "test.count_consents")).all()
    assert len(effects_made) == 1 and delivered == 1
    assert (job.status, job.attempts) == ("done", 2)
    started = [line for line in lines(effects) if line.startswith("started")]
    assert [line.split()[3] for line in started] == ["1", "2"]
