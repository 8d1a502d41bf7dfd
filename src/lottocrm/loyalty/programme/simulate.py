"""Loyalty data for the demo: partners, card holders among existing players, their purchases and redemptions.

Deterministic for a given seed and set of players: the same call on the same database state produces the
same cards, purchases and points. Everything goes through the real services (earn rules, tiers, lots,
holds), so the 360 view, settlement and ``loyalty verify`` see exactly what production would produce —
the audit log included: whoever runs it (``actor``) is recorded as having set the programme up and issued
the cards.

    from lottocrm.loyalty.programme.simulate import simulate_loyalty
    summary = simulate_loyalty(engine, seed=42, start=..., end=..., actor=Actor.console())
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, func, select

from lottocrm.audit.service import Actor
from lottocrm.db.engine import transaction
from lottocrm.loyalty.errors import LoyaltyError
from lottocrm.loyalty.ledger import lots
from lottocrm.loyalty.models import EarnRule, LoyaltyAccount, LoyaltyCard, LoyaltyPartner
from lottocrm.loyalty.programme import earn_rules, earning, members, partners, redemption, tiers
from lottocrm.players.models import Player

# code, name, points per 100 ₽: grocers give little per ruble, fuel and travel more.
PARTNERS = (
    ("perekrestok", "Перекрёсток", 1),
    ("pyaterochka", "Пятёрочка", 1),
    ("magnit", "Магнит", 1),
    ("lenta", "Лента", 1),
    ("vkusvill", "ВкусВилл", 2),
    ("azbuka", "Азбука Вкуса", 2),
    ("lukoil", "Лукойл", 3),
    ("gazpromneft", "Газпромнефть", 3),
    ("mvideo", "М.Видео", 2),
    ("eldorado", "Эльдорадо", 2),
    ("sportmaster", "Спортмастер", 3),
    ("detsky-mir", "Детский мир", 2),
    ("rigla", "Ригла", 2),
    ("36-6", "Аптека 36,6", 2),
    ("ozon", "Ozon", 1),
    ("litres", "ЛитРес", 5),
    ("aeroflot", "Аэрофлот", 5),
    ("rzd", "РЖД", 4),
    ("kinomax", "Киномакс", 4),
    ("shokoladnitsa", "Шоколадница", 3),
)
BATCH_HOLDERS = 200
Progress = Callable[[int], None]


@dataclass
class LoyaltySimulationSummary:
    partners: int = 0
    card_holders: int = 0
    purchases: int = 0
    points_earned: int = 0
    redemptions: int = 0
    points_redeemed: int = 0
    refunds: int = 0

    def add(self, other: LoyaltySimulationSummary) -> None:
        for name in ("purchases", "points_earned", "redemptions", "points_redeemed", "refunds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def seed_programme(engine: Engine, *, new_year: int, actor: Actor) -> None:
    """Tiers and earn rules the demo programme runs on, written once (a second call changes nothing)."""
    with transaction(engine) as session:
        tiers.ensure_default_tiers(session, actor=actor)
        if session.execute(select(func.count()).select_from(EarnRule)).scalar_one():
            return
        earn_rules.add_rule(
            session,
            actor=actor,
            name="Tickets: 5 points per 100 ₽",
            kind="base_rate",
            source="ticket",
            points_per_100_rub=5,
        )
        earn_rules.add_rule(
            session,
            actor=actor,
            name="Tickets in the app: 7 points per 100 ₽",
            kind="base_rate",
            source="ticket",
            channel="app",
            points_per_100_rub=7,
        )
        earn_rules.add_rule(
            session,
            actor=actor,
            name="New Year draw ×2",
            kind="multiplier",
            source="ticket",
            multiplier_percent=200,
            valid_from=dt.datetime(new_year - 1, 12, 1, tzinfo=dt.UTC),
            valid_to=dt.datetime(new_year, 1, 1, 12, tzinfo=dt.UTC),
        )
        earn_rules.add_rule(
            session, actor=actor, name="At most 2 000 points a day", kind="daily_cap", cap_points=2_000
        )
        earn_rules.add_rule(
            session, actor=actor, name="Welcome: 100 points", kind="welcome_bonus", bonus_points=100
        )


def _ensure_partners(engine: Engine, now: dt.datetime, actor: Actor) -> dict[int, int]:
    """Partner id → points per 100 ₽, creating the coalition's partners and their rate rules if missing."""
    rates = {}
    with transaction(engine) as session:
        for code, name, rate in PARTNERS:
            partner_id = session.execute(
                select(LoyaltyPartner.id).where(LoyaltyPartner.code == code)
            ).scalar_one_or_none()
            if partner_id is None:
                partner_id = partners.create_partner(session, code=code, name=name, now=now, actor=actor)
                earn_rules.add_rule(
                    session,
                    actor=actor,
                    name=f"{name}: {rate} per 100 ₽",
                    kind="base_rate",
                    source="partner",
                    partner_id=partner_id,
                    points_per_100_rub=rate,
                )
            rates[partner_id] = rate
    return rates


def _choose_holders(engine: Engine, rng: random.Random, share: float) -> list[tuple[int, dt.datetime]]:
    with transaction(engine) as session:
        carded = set(
            session.execute(
                select(LoyaltyAccount.player_id).join(
                    LoyaltyCard, LoyaltyCard.account_id == LoyaltyAccount.id
                )
            ).scalars()
        )
        players = session.execute(select(Player.id, Player.registered_at).order_by(Player.id)).all()
    return [
        (player.id, player.registered_at)
        for player in players
        if rng.random() < share and player.id not in carded
    ]


def _holder_history(
    session,
    rng: random.Random,
    summary: LoyaltySimulationSummary,
    *,  # type: ignore[no-untyped-def]
    card: str,
    partner_ids: list[int],
    start: dt.datetime,
    end: dt.datetime,
    purchases_per_holder: float,
) -> None:
    member = members.find_member(session, card_number=card)
    span = (end - start).total_seconds()
    moments = sorted(
        start + dt.timedelta(seconds=rng.random() * span)
        for _ in range(int(rng.expovariate(1 / purchases_per_holder)) + 1)
    )
    favourite = rng.sample(partner_ids, k=min(3, len(partner_ids)))
    for moment in moments:
        partner_id = rng.choice(favourite) if rng.random() < 0.8 else rng.choice(partner_ids)
        spend = int(rng.lognormvariate(7.3, 0.9)) * 100  # median ≈ 1 500 ₽
        earned = earning.earn_at_partner(
            session, member=member, partner_id=partner_id, spend_kopecks=spend, now=moment
        )
        summary.purchases += 1
        summary.points_earned += earned.points
        if rng.random() < 0.25:
            spendable = lots.spendable(session, account_id=member.account_id, now=moment)
            if spendable >= 50:
                points = rng.randint(50, spendable)
                hold = redemption.authorize(
                    session, member=member, partner_id=partner_id, points=points, now=moment
                )
                redemption.capture(session, hold_id=hold.hold_id, partner_id=partner_id, now=moment)
                summary.redemptions += 1
                summary.points_redeemed += points
                if rng.random() < 0.05:
                    redemption.refund(
                        session,
                        hold_id=hold.hold_id,
                        partner_id=partner_id,
                        points=rng.randint(1, points),
                        now=moment,
                    )
                    summary.refunds += 1


def simulate_loyalty(
    engine: Engine,
    *,
    seed: int,
    start: dt.datetime,
    end: dt.datetime,
    actor: Actor,
    card_share: float = 0.3,
    purchases_per_holder: float = 6.0,
    max_holders: int | None = None,
    on_progress: Progress | None = None,
) -> LoyaltySimulationSummary:
    """Enrol ``card_share`` of the players in the DB and simulate their partner shopping in [start, end).

    The reference programme has ~6 M card holders of 20 M players (30 %) and 20 partner brands. Card
    holders already in the programme are left alone, so a second call only enrols new players.
    ``max_holders`` caps the enrolment (the first ones chosen, in player id order); ``on_progress`` gets the
    number of holders done after each batch.
    """
    if not 0 < card_share <= 1:
        raise ValueError(f"card_share must be in (0, 1], got {card_share}")
    if start >= end:
        raise ValueError("start must be before end")
    rng = random.Random(seed)
    summary = LoyaltySimulationSummary()
    seed_programme(engine, new_year=end.year if end.month == 1 else end.year + 1, actor=actor)
    rates = _ensure_partners(engine, start, actor)
    summary.partners = len(rates)
    partner_ids = sorted(rates)
    # Every purchase goes through the real services (~10 ms each), so a large demo caps the holders.
    holders = _choose_holders(engine, rng, card_share)[:max_holders]
    for offset in range(0, len(holders), BATCH_HOLDERS):
        batch = holders[offset : offset + BATCH_HOLDERS]
        with transaction(engine) as session:
            for player_id, registered_at in batch:
                joined = max(start, min(registered_at, end - dt.timedelta(days=1)))
                card = members.issue_card(session, player_id=player_id, now=joined, actor=actor, rng=rng)
                member = members.find_member(session, card_number=card)
                earning.grant_welcome_bonus(session, account_id=member.account_id, now=joined)
                history = LoyaltySimulationSummary()
                try:
                    # A savepoint per shopper: a refusal (velocity limit) undoes only that shopper's history.
                    with session.begin_nested():
                        _holder_history(
                            session,
                            rng,
                            history,
                            card=card,
                            partner_ids=partner_ids,
                            start=joined,
                            end=end,
                            purchases_per_holder=purchases_per_holder,
                        )
                    summary.add(history)
                except LoyaltyError:
                    pass
                summary.card_holders += 1
        if on_progress:
            on_progress(len(batch))
    return summary
