"""Promo codes: 8 characters from an alphabet without look-alikes (32^8 ≈ 10^12 codes, drawn by ``secrets``,
so a code cannot be guessed from another), unique across everything that gives them — campaign runs and
journeys' offer steps — so a code at the till names one offer. Each table's unique key is the last word; a
drawn code already taken in either is drawn again."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm.marketing.campaigns.offer_models import CampaignPromoCode
from lottocrm.marketing.journeys.models import JourneyOffer

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8


def _draw_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def unique_codes(session: Session, count: int) -> list[str]:
    """``count`` codes no campaign run or journey holds yet, sorted."""
    found: set[str] = set()
    while len(found) < count:
        fresh = sorted({_draw_code() for _ in range(count - len(found))} - found)
        taken = set(
            session.scalars(select(CampaignPromoCode.code).where(CampaignPromoCode.code.in_(fresh))).all()
        )
        taken |= set(
            session.scalars(select(JourneyOffer.promo_code).where(JourneyOffer.promo_code.in_(fresh)))
        )
        found |= set(fresh) - taken
    return sorted(found)
