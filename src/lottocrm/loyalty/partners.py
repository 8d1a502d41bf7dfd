"""The coalition partner registry and its till keys (random, shown once, stored hashed, revocable)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from lottocrm.loyalty.accounts import partner_issued_account, partner_redeemed_account
from lottocrm.loyalty.errors import NotFound
from lottocrm.loyalty.models import LoyaltyPartner, PartnerApiKey
from lottocrm.security.api_keys import api_key_matches, generate_api_key, key_prefix


@dataclass(frozen=True)
class AuthenticatedPartner:
    id: int
    code: str
    can_earn: bool
    can_redeem: bool
    active: bool


def create_partner(
    session: Session,
    *,
    code: str,
    name: str,
    now: dt.datetime,
    can_earn: bool = True,
    can_redeem: bool = True,
) -> int:
    partner_id = session.execute(
        insert(LoyaltyPartner)
        .values(
            code=code,
            name=name,
            can_earn=can_earn,
            can_redeem=can_redeem,
            active=True,
            created_at=now,
        )
        .returning(LoyaltyPartner.id)
    ).scalar_one()
    partner_issued_account(session, partner_id)
    partner_redeemed_account(session, partner_id)
    return partner_id


def partner_id_by_code(session: Session, code: str) -> int:
    found = session.execute(select(LoyaltyPartner.id).where(LoyaltyPartner.code == code)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no partner {code!r}")
    return found


def issue_key(session: Session, *, partner_id: int, now: dt.datetime, label: str = "") -> str:
    """A new till key for the partner; the returned secret is never stored and cannot be shown again."""
    key = generate_api_key("till")
    session.execute(
        insert(PartnerApiKey).values(
            partner_id=partner_id, prefix=key.prefix, digest=key.digest, label=label, created_at=now
        )
    )
    return key.secret


def revoke_key(session: Session, *, prefix: str, now: dt.datetime) -> None:
    result = session.execute(
        update(PartnerApiKey)
        .where(PartnerApiKey.prefix == prefix, PartnerApiKey.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    if result.rowcount == 0:
        raise NotFound(f"no live key with prefix {prefix!r}")


def authenticate(session: Session, *, secret: str) -> AuthenticatedPartner | None:
    """The partner a presented key belongs to, or None for an unknown, malformed or revoked key."""
    prefix = key_prefix(secret)
    if prefix is None:
        return None
    row = session.execute(
        select(
            PartnerApiKey.digest,
            LoyaltyPartner.id,
            LoyaltyPartner.code,
            LoyaltyPartner.can_earn,
            LoyaltyPartner.can_redeem,
            LoyaltyPartner.active,
        )
        .join(LoyaltyPartner, LoyaltyPartner.id == PartnerApiKey.partner_id)
        .where(PartnerApiKey.prefix == prefix, PartnerApiKey.revoked_at.is_(None))
    ).first()
    if row is None or not api_key_matches(secret, row.digest):
        return None
    return AuthenticatedPartner(
        id=row.id, code=row.code, can_earn=row.can_earn, can_redeem=row.can_redeem, active=row.active
    )
