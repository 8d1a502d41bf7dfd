"""Fixtures: a player factory (only what a rule under test needs is spelled out), and contactable players
for the contact-policy and messaging tests."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from helpers.factories import IMPORT
from lottocrm.db.engine import transaction
from lottocrm.players import consents
from lottocrm.players.models import Player, PlayerIdentity, ResponsibleGaming

REGISTERED = dt.datetime(2025, 1, 15, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def make_player() -> Callable[..., Player]:
    ids = itertools.count(1)

    def make(
        session: Session,
        *,
        birth_date: dt.date | None = dt.date(1980, 5, 17),
        status: str = "active",
        under_age: bool = False,
        self_excluded_until: dt.date | None = None,
        returned_at: dt.datetime | None = None,
        timeout_until: dt.datetime | None = None,
        limit_reached_until: dt.date | None = None,
        region: str | None = "RU-MOW",
        phone: str | None = None,
        email: str | None = None,
    ) -> Player:
        player = Player(
            id=next(ids),
            last_name="Петрова",
            first_name="Анна",
            middle_name="Сергеевна",
            search_name="петрова анна сергеевна",
            birth_date=birth_date,
            gender="F",
            region=region,
            registered_at=REGISTERED,
            registration_channel="website",
            age_verified=True,
            under_age=under_age,
            status=status,
            created_at=REGISTERED,
        )
        session.add(player)
        session.flush()
        if any(x is not None for x in (self_excluded_until, timeout_until, limit_reached_until)):
            session.add(
                ResponsibleGaming(
                    player_id=player.id,
                    self_excluded_until=self_excluded_until,
                    returned_at=returned_at,
                    timeout_until=timeout_until,
                    limit_reached_until=limit_reached_until,
                    flags=[],
                    updated_at=REGISTERED,
                )
            )
        for kind, value in (("phone", phone), ("email", email)):
            if value is not None:
                session.add(
                    PlayerIdentity(
                        player_id=player.id, kind=kind, value=value, verified=True, created_at=REGISTERED
                    )
                )
        session.flush()
        return player

    return make


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
