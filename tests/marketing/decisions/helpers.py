"""A small banner world for the decision tests: one placement with its default banner, offers ranked by
value, and players the contact policy allows on the web channel or stops for one reason each."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from helpers.factories import IMPORT
from lottocrm.db.engine import transaction
from lottocrm.marketing.decisions import offers
from lottocrm.players import consents

PLACEMENT = "home_top"
CONSENTED = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
OPEN = (dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2099, 1, 1, tzinfo=dt.UTC))


def draft(code: str, placement_id: int, **changes: Any) -> offers.OfferDraft:
    values: dict[str, Any] = {
        "code": code,
        "name": f"Предложение {code}",
        "placement_id": placement_id,
        "title": f"Заголовок {code}",
        "text": "Купите билет сегодня",
        "image_url": None,
        "link_url": f"/games/{code}",
        "audience": "everyone",
        "regions": (),
        "value_per_mille_kopecks": 10_000,
        "weight_percent": 100,
        "budget_unit": "impressions",
        "budget": 1000,
        "cost_per_impression": 1,
        "player_daily_cap": 3,
        "starts_at": OPEN[0],
        "ends_at": OPEN[1],
        "status": "live",
    }
    return offers.OfferDraft(**(values | changes))


def banner_world(engine: Engine, **offer_changes: dict[str, Any]) -> dict[str, int]:
    """The placement and offers "best" (value 30 000), "second" (20 000) and "players_only" (10 000, for
    signed-in players only); ``offer_changes`` overrides per offer code. Their ids by code."""
    with transaction(engine) as session:
        placement = offers.create_placement(
            session,
            actor=IMPORT,
            code=PLACEMENT,
            name="Главная, верх",
            default_title="Играйте ответственно",
            default_text="Лотереи — это игра, а не заработок",
            default_link_url="/responsible",
            player_daily_cap=5,
        )
        made = {}
        for code, value, audience in (
            ("best", 30_000, "everyone"),
            ("second", 20_000, "everyone"),
            ("players_only", 10_000, "players"),
        ):
            changes = {"value_per_mille_kopecks": value, "audience": audience} | offer_changes.get(code, {})
            made[code] = offers.create_offer(
                session, actor=IMPORT, draft=draft(code, placement.id, **changes)
            ).id
        made["placement"] = placement.id
    return made


def web_player(
    session: Session,
    make_player: Callable[..., Any],
    *,
    web: bool | None = True,
    minor: bool = False,
    **traits: Any,
) -> int:
    """A player with personal-data consent and, unless ``web`` is None, an advertising grant (True) or
    withdrawal (False) on the web channel. ``minor``: the birth date is corrected after the consents to
    one 17 years ago (a minor's grant cannot be recorded at all)."""
    player = make_player(session, **traits)
    grants = [("personal_data", "web", True)]
    if web is not None:
        grants.append(("advertising", "web", web))
    for purpose, channel, granted in grants:
        consents.record_consent(
            session,
            actor=IMPORT,
            player_id=player.id,
            purpose=purpose,
            channel=channel,
            granted=granted,
            source="website",
            notice_version="2025-01",
            occurred_at=CONSENTED,
        )
    if minor:
        today = dt.date.today()
        player.birth_date = today.replace(year=today.year - 17)
        session.flush()
    return int(player.id)
