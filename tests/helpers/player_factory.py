"""Fixture: a player factory for the players tests; only what a rule under test needs is spelled out."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

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
