"""Fixtures for messages rendered at dispatch: players whose template variables differ (one known to the
loyalty programme, the analytical record and the next-game run, one known to none of them) and published
template versions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, update

from helpers.factories import analytics_record
from lottocrm.analytics.propensity.models import PlayerNextGame
from lottocrm.audit.service import Actor
from lottocrm.catalog.models import Draw, Game
from lottocrm.db.engine import transaction
from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyTier
from lottocrm.messaging.templates import service as templates
from lottocrm.messaging.templates.render import Bodies
from lottocrm.players.models import Player

MARKETER = Actor("user:petrova")
# The record and the next-game run were computed on 9 March; the next draw of the game offered is on the
# 14th (18:00 in Moscow).
AS_OF = dt.date(2026, 3, 9)
NEXT_DRAW = dt.datetime(2026, 3, 14, 15, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class World:
    known: int  # a loyalty member with a record and a next game
    unknown: int  # nothing known but the profile
    others: list[int]  # more contactable players, named apart
    publish: Callable[..., int]


@pytest.fixture
def templated_world(engine: Engine, contactable) -> World:  # type: ignore[no-untyped-def]
    known, unknown, *others = contactable(4)
    names = {known: ("Ольга", "Смирнова"), unknown: ("Борис", "Орлов")}
    names.update({player_id: (f"Игрок{n}", "Тестов") for n, player_id in enumerate(others)})
    record = analytics_record(known, AS_OF, "active", 1_200_000)
    record.favourite_game_id = 11
    with transaction(engine) as session:
        for player_id, (first, last) in names.items():
            session.execute(
                update(Player).where(Player.id == player_id).values(first_name=first, last_name=last)
            )
        session.add_all(
            [
                Game(id=11, code="loto-6", name="Русское лото", kind="draw", ticket_price_kopecks=10000),
                Game(id=13, code="zhl", name="Жилищная лотерея", kind="draw", ticket_price_kopecks=15000),
                LoyaltyTier(code="gold", name="Золотой", rank=3, min_spend_12m_kopecks=1_000_000),
            ]
        )
        session.flush()
        session.add_all(
            [
                Draw(id=1, game_id=13, number=700, draw_at=NEXT_DRAW - dt.timedelta(days=7), status="drawn"),
                Draw(id=2, game_id=13, number=701, draw_at=NEXT_DRAW, status="scheduled"),
                Draw(id=3, game_id=13, number=702, draw_at=NEXT_DRAW + dt.timedelta(days=7)),
                LoyaltyAccount(
                    code=f"member:{known}",
                    kind="member",
                    player_id=known,
                    balance=1_251,
                    tier="gold",
                    created_at=NEXT_DRAW - dt.timedelta(days=90),
                ),
                record,
                PlayerNextGame(
                    as_of=AS_OF,
                    player_id=known,
                    rank=1,
                    game_id=13,
                    score=0.4,
                    propensity=0.2,
                    lift=2.0,
                    reason_kind="propensity",
                ),
            ]
        )

    def publish(message_class: str = "marketing", code: str = "offer", **bodies: str) -> int:
        with transaction(engine) as session:
            template = templates.create_template(
                session, actor=MARKETER, code=code, name="Предложение", message_class=message_class
            )
            draft = templates.save_draft(
                session, actor=MARKETER, template_id=template.id, bodies=Bodies(**bodies)
            )
            return templates.publish_version(session, actor=MARKETER, version_id=draft.version.id).id

    return World(known=known, unknown=unknown, others=others, publish=publish)
