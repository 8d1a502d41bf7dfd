"""A campaign's offer: its budget at approval, and what a launch adds to a run's members.

**The budget rule.** The worst case of a run is treated × ``value_kopecks`` (every treated player takes
the offer). At approval, a worst case above ``budget_kopecks`` is refused, unless the offer is
``cap_to_budget``: then each run keeps only as many members as the budget pays for. At launch the budget is
a hard limit for every run (an audience that grew since approval is capped too), so a run never commits
more than its budget. Who is kept: members in the campaign's own random order (a hash of the player salted
with the campaign, like the control), both arms alike up to the last treated player that fits — so the
capped run is a random part of the audience, its two arms stay comparable and keep the campaign's control
share (an order by expected value would keep the best players in the treated arm only, and bias the lift).

**Promo codes** are made at launch for every treated member in bulk (:mod:`lottocrm.marketing.promo_codes`:
unguessable, unique across campaigns and journeys). The dispatcher gives each campaign message its member's
code as the ``promo_code`` template variable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, case, delete, func, insert, select
from sqlalchemy.orm import Session

from lottocrm.db.hash_unit import hash_unit_sql
from lottocrm.errors import ServiceError
from lottocrm.marketing.campaigns.definition import CampaignDefinition, Offer
from lottocrm.marketing.campaigns.models import CampaignMember
from lottocrm.marketing.campaigns.offer_models import CampaignOfferCredit, CampaignPromoCode
from lottocrm.marketing.campaigns.selection import campaign_salt
from lottocrm.marketing.promo_codes import unique_codes

# Codes made per statement (far below both databases' bound-value limits).
CHUNK = 5_000


class OfferOverBudget(ServiceError):
    code, http_status = "campaign_offer_over_budget", 422


def worst_case_kopecks(offer: Offer | None, treated: int) -> int:
    return 0 if offer is None else treated * offer.value_kopecks


def treated_cap(offer: Offer | None) -> int | None:
    """The most treated players one run may have under the budget (None: no budget)."""
    if offer is None or offer.budget_kopecks is None or offer.value_kopecks == 0:
        return None
    return offer.budget_kopecks // offer.value_kopecks


def check_budget(offer: Offer | None, *, treated: int) -> int | None:
    """At approval: the cap a run will be held to when the worst case is over the budget and the offer may
    be capped (None: it fits, or there is no budget); refused when it may not be capped."""
    cap = treated_cap(offer)
    if offer is None or cap is None or treated <= cap:
        return None
    if not offer.cap_to_budget:
        assert offer.budget_kopecks is not None
        raise OfferOverBudget(
            "the offer's worst case, %(treated)s treated players × %(value)s ₽, is %(worst)s ₽, over its "
            "budget of %(budget)s ₽: raise the budget, lower the offer's value, narrow the segment, or cap "
            "the audience to the budget (%(cap)s treated players)",
            treated=treated,
            value=roubles(offer.value_kopecks),
            worst=roubles(treated * offer.value_kopecks),
            budget=roubles(offer.budget_kopecks),
            cap=cap,
        )
    return cap


def roubles(kopecks: int) -> str:
    return f"{kopecks / 100:,.2f}".replace(",", " ")


def apply_offer(session: Session, *, run_id: int, campaign_id: int, definition: CampaignDefinition) -> int:
    """After a run's members are chosen, in the same transaction: hold them to the budget, then make the
    treated members' promo codes. How many members the budget took out."""
    offer = definition.offer
    if offer is None:
        return 0
    removed = _cap(session, run_id=run_id, campaign_id=campaign_id, cap=treated_cap(offer))
    if offer.promo_code:
        make_promo_codes(session, run_id=run_id)
    return removed


def _cap(session: Session, *, run_id: int, campaign_id: int, cap: int | None) -> int:
    members = CampaignMember.__table__
    in_run = members.c.run_id == run_id
    treated = int(session.scalar(select(func.count()).where(in_run, members.c.arm == "treatment")) or 0)
    if cap is None or treated <= cap:
        return 0
    place = hash_unit_sql(f"{campaign_salt(campaign_id)}:budget", members.c.player_id)
    ordered = select(
        members.c.player_id,
        func.sum(case((members.c.arm == "treatment", 1), else_=0))
        .over(order_by=(place, members.c.player_id))
        .label("treated_so_far"),
    ).where(in_run)
    ranked = ordered.subquery("ranked")
    beyond = select(ranked.c.player_id).where(ranked.c.treated_so_far > cap)
    before = int(session.scalar(select(func.count()).where(in_run)) or 0)
    session.execute(delete(members).where(in_run, members.c.player_id.in_(beyond)))
    return before - int(session.scalar(select(func.count()).where(in_run)) or 0)


def make_promo_codes(session: Session, *, run_id: int) -> int:
    """A unique code for each treated member of the run that has none yet; how many were made."""
    members = CampaignMember.__table__
    codes = CampaignPromoCode.__table__
    waiting = session.scalars(
        select(members.c.player_id)
        .outerjoin(codes, and_(codes.c.run_id == members.c.run_id, codes.c.player_id == members.c.player_id))
        .where(members.c.run_id == run_id, members.c.arm == "treatment", codes.c.code.is_(None))
        .order_by(members.c.player_id)
    ).all()
    for first in range(0, len(waiting), CHUNK):
        players = waiting[first : first + CHUNK]
        drawn = unique_codes(session, len(players))
        session.execute(
            insert(codes),
            [
                {"run_id": run_id, "player_id": player, "code": code}
                for player, code in zip(players, drawn, strict=True)
            ],
        )
    return len(waiting)


def promo_code_values(session: Session, messages: Sequence[Any]) -> dict[int, dict[str, object]]:
    """The dispatcher's per-message variables: each campaign message's ``promo_code`` (its member's code).
    Found through the members' player index, so a batch reads only its own players' rows."""
    wanted = {m.id: m.player_id for m in messages if m.source_kind == "campaign"}
    if not wanted:
        return {}
    members = CampaignMember.__table__
    codes = CampaignPromoCode.__table__
    rows = session.execute(
        select(members.c.message_id, codes.c.code)
        .join(codes, and_(codes.c.run_id == members.c.run_id, codes.c.player_id == members.c.player_id))
        .where(
            members.c.player_id.in_(sorted(set(wanted.values()))),
            members.c.message_id.in_(sorted(wanted)),
        )
    ).all()
    return {int(message_id): {"promo_code": code} for message_id, code in rows}


def offer_spend(session: Session, *, run_ids: Sequence[int]) -> dict[str, int]:
    """What the offer has cost so far: the responders credited, their points and their value in kopecks."""
    credits = CampaignOfferCredit.__table__
    if not run_ids:
        return {"credited": 0, "points": 0, "kopecks": 0}
    row = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(credits.c.points), 0),
            func.coalesce(func.sum(credits.c.value_kopecks), 0),
        ).where(credits.c.run_id.in_(list(run_ids)))
    ).one()
    return {"credited": int(row[0]), "points": int(row[1]), "kopecks": int(row[2])}
