"""Consent history is append-only and the current state is its latest event; checked against a dict model."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from helpers.factories import IMPORT
from lottocrm import vocab
from lottocrm.db.engine import transaction
from lottocrm.players import consents, service
from lottocrm.players.models import ConsentEvent

BASE = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)


def _consent(
    session, player_id: int, purpose: str, channel: str, granted: bool, minutes: int
) -> ConsentEvent:  # type: ignore[no-untyped-def]
    return consents.record_consent(
        session,
        actor=IMPORT,
        player_id=player_id,
        purpose=purpose,
        channel=channel,
        granted=granted,
        source="website",
        notice_version="2025-01",
        occurred_at=BASE + dt.timedelta(minutes=minutes),
    )


def test_the_latest_event_of_each_purpose_and_channel_is_the_current_state(
    engine: Engine, make_player
) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        player = make_player(session)
        _consent(session, player.id, "advertising", "sms", True, 0)
        _consent(session, player.id, "advertising", "sms", False, 30)
        _consent(session, player.id, "advertising", "email", True, 10)
        # An old paper form imported late: it happened first, so it does not override the withdrawal.
        _consent(session, player.id, "advertising", "sms", True, -60)
        state = consents.current_consents(session, player_id=player.id)
    assert {key: value.granted for key, value in state.items()} == {
        ("advertising", "sms"): False,
        ("advertising", "email"): True,
    }
    assert state[("advertising", "sms")].occurred_at == BASE + dt.timedelta(minutes=30)
    assert state[("advertising", "email")].notice_version == "2025-01"


def test_history_is_kept_whole_and_an_event_cannot_be_edited(engine: Engine, make_player) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        player = make_player(session)
        for minutes, granted in enumerate([True, False, True]):
            _consent(session, player.id, "advertising", "push", granted, minutes)
    with pytest.raises(ValueError, match="append-only"), transaction(engine) as session:
        event = session.scalar(select(ConsentEvent).order_by(ConsentEvent.id))
        assert event is not None
        event.granted = False
        session.flush()
    with transaction(engine) as session:
        history = list(session.scalars(select(ConsentEvent.granted).order_by(ConsentEvent.id)))
    assert history == [True, False, True]


def test_bad_consent_requests_are_refused_with_a_reason(engine: Engine, make_player) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        player = make_player(session)
        good = {
            "actor": IMPORT,
            "player_id": player.id,
            "purpose": "advertising",
            "channel": "sms",
            "granted": True,
            "source": "app",
            "notice_version": "v3",
            "occurred_at": BASE,
        }
        cases = [
            ({"purpose": "spam"}, "unknown consent purpose 'spam'"),
            ({"channel": "pigeon"}, "unknown consent channel 'pigeon'"),
            ({"source": "rumour"}, "unknown consent source 'rumour'"),
            ({"occurred_at": BASE.replace(tzinfo=None)}, "time zone"),
            ({"occurred_at": dt.datetime.now(dt.UTC) + dt.timedelta(days=1)}, "future"),
            ({"notice_version": " "}, "notice_version"),
            ({"player_id": 404}, "no player with id 404"),
        ]
        for change, message in cases:
            with pytest.raises(service.PlayerServiceError, match=message):
                consents.record_consent(session, **{**good, **change})
        assert session.scalar(select(func.count()).select_from(ConsentEvent)) == 0


event_strategy = st.tuples(
    st.sampled_from(vocab.CONSENT_PURPOSES),
    st.sampled_from(vocab.CONSENT_CHANNELS[:3]),
    st.booleans(),
    st.integers(min_value=0, max_value=5),  # few distinct times, so ties (same moment) are common
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(events=st.lists(event_strategy, max_size=12))
def test_current_state_matches_a_dict_replay_of_the_history(engine: Engine, make_player, events) -> None:  # type: ignore[no-untyped-def]
    """Model: replay events sorted by (time, recording order); the last write to each key wins."""
    with transaction(engine) as session:
        player = make_player(session)  # a fresh player per example keeps examples independent
        for purpose, channel, granted, minutes in events:
            _consent(session, player.id, purpose, channel, granted, minutes)
        state = consents.current_consents(session, player_id=player.id)

    model: dict[tuple[str, str], bool] = {}
    ordered = sorted(zip(itertools.count(), events, strict=False), key=lambda pair: (pair[1][3], pair[0]))
    for _, (purpose, channel, granted, _minutes) in ordered:
        model[(purpose, channel)] = granted
    assert {key: value.granted for key, value in state.items()} == model
