"""The demo's banners: the home page's slot with its default banner and four offers, and two players to
show on the example page (one the contact policy allows on the web, one self-excluded)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, select

from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.contact_policy import service as contact_policy
from lottocrm.db.engine import transaction
from lottocrm.marketing.decisions import offers
from lottocrm.marketing.decisions.models import Placement
from lottocrm.players.models import Player, ResponsibleGaming

DEMO = Actor("demo:banners")
# (code, title, text, image, audience, value of 1 000 impressions in kopecks, budget in impressions)
OFFERS = (
    (
        "new_year_jackpot",
        "Новогодний миллиард",
        "Билеты на тираж 1 января — уже в продаже",
        "/static/banners/jackpot.svg",
        "everyone",
        60_000,
        200_000,
    ),
    (
        "welcome_first_ticket",
        "Первый билет со скидкой",
        "Для новых игроков: билет «6 из 45» за 50 ₽",
        "/static/banners/welcome.svg",
        "anonymous",
        45_000,
        100_000,
    ),
    (
        "loyalty_double_points",
        "Двойные баллы",
        "Баллы ×2 за билеты «Русского лото» до воскресенья",
        "/static/banners/default.svg",
        "players",
        30_000,
        100_000,
    ),
    (
        "keno_every_15",
        "Кено каждые 15 минут",
        "Быстрый тираж — результат через четверть часа",
        None,
        "players",
        12_000,
        50_000,
    ),
)


@dataclass(frozen=True)
class DemoBanners:
    offers: int
    allowed_player: int | None
    self_excluded_player: int | None


def seed(engine: Engine, *, scan: int = 2_000) -> DemoBanners:
    now = clock.now()
    with transaction(engine) as session:
        placement = session.scalar(select(Placement).where(Placement.code == "home_top"))
        if placement is None:
            placement = offers.create_placement(
                session,
                actor=DEMO,
                code="home_top",
                name="Главная страница, верх",
                default_title="Играйте ответственно",
                default_text="Лотерея — это игра, а не заработок. Лимит можно установить в личном кабинете.",
                default_link_url="/responsible-gaming",
                default_image_url="/static/banners/default.svg",
                player_daily_cap=6,
            )
            for code, title, text, image, audience, value, budget in OFFERS:
                offers.create_offer(
                    session,
                    actor=DEMO,
                    draft=offers.OfferDraft(
                        code=code,
                        name=title,
                        placement_id=placement.id,
                        title=title,
                        text=text,
                        image_url=image,
                        link_url=f"/promo/{code}",
                        audience=audience,
                        regions=(),
                        value_per_mille_kopecks=value,
                        weight_percent=100,
                        budget_unit="impressions",
                        budget=budget,
                        cost_per_impression=1,
                        player_daily_cap=3,
                        starts_at=now - dt.timedelta(days=1),
                        ends_at=now + dt.timedelta(days=60),
                        status="live",
                    ),
                )
        allowed = None
        for player_id in session.scalars(select(Player.id).order_by(Player.id).limit(scan)):
            gate = contact_policy.decide(
                session, player_id=player_id, channel="web", message_class="marketing"
            )
            if gate.allowed:
                allowed = player_id
                break
        excluded = session.scalar(
            select(ResponsibleGaming.player_id)
            .where(ResponsibleGaming.self_excluded_until >= clock.operator_day())
            .order_by(ResponsibleGaming.player_id)
            .limit(1)
        )
    return DemoBanners(offers=len(OFFERS), allowed_player=allowed, self_excluded_player=excluded)
