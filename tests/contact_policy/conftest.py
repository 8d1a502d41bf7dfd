"""Contactable players for the contact-policy tests."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from helpers.factories import IMPORT
from lottocrm.db.engine import transaction
from lottocrm.players import consents
from lottocrm.players.models import PlayerIdentity

CONSENTED = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def contactable(engine: Engine, make_player) -> Callable[..., list[int]]:  # type: ignore[no-untyped-def]
    """``contactable(n)``: n adult players in Moscow with a phone and an e-mail, personal-data consent and
    advertising consent on SMS and e-mail; their ids."""

    def make(count: int, **traits) -> list[int]:  # type: ignore[no-untyped-def]
        ids = []
        with transaction(engine) as session:
            for _ in range(count):
                player = make_player(session, **traits)
                session.flush()
                player_id = player.id
                for kind, value in (
                    ("phone", f"+7916{player_id:07d}"),
                    ("email", f"p{player_id}@example.ru"),
                ):
                    session.add(
                        PlayerIdentity(
                            player_id=player_id, kind=kind, value=value, verified=True, created_at=CONSENTED
                        )
                    )
                for purpose, channel in (
                    ("personal_data", "web"),
                    ("advertising", "sms"),
                    ("advertising", "email"),
                ):
                    consents.record_consent(
                        session,
                        actor=IMPORT,
                        player_id=player_id,
                        purpose=purpose,
                        channel=channel,
                        granted=True,
                        source="website",
                        notice_version="2025-01",
                        occurred_at=CONSENTED,
                    )
                ids.append(player_id)
        return ids

    return make
