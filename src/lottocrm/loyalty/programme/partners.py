"""The coalition partner registry and its till keys (random, shown once, stored hashed, revocable).

Who registered a partner and who issued or revoked a key is audited, in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from lottocrm.audit.service import Actor, record
from lottocrm.loyalty.errors import NotFound
from lottocrm.loyalty.ledger.accounts import partner_issued_account, partner_redeemed_account
from lottocrm.loyalty.models import LoyaltyPartner, PartnerApiKey
from lottocrm.security.api_keys import api_key_matches, digest_api_key, generate_api_key, key_prefix

# Every till call authenticates, so a server process keeps each key's answer this long instead of reading
# the key and partner rows per call. The bound this puts on revocation: a revoked key, or a change to the
# partner's rights, takes effect within AUTH_CACHE_SECONDS in every server worker — and at once in the
# process that revoked it. Only accepted keys are kept (a flood of wrong keys cannot grow the cache).
AUTH_CACHE_SECONDS = 5.0
AUTH_CACHE_MAX_KEYS = 10_000


@dataclass(frozen=True)
class AuthenticatedPartner:
    id: int
    code: str
    can_earn: bool
    can_redeem: bool
    active: bool


_authenticated: dict[tuple[object, str], tuple[float, AuthenticatedPartner]] = {}
# The cache's clock, a name of its own so a test can move it past the bound without touching time itself.
_clock = time.monotonic


def create_partner(
    session: Session,
    *,
    code: str,
    name: str,
    now: dt.datetime,
    actor: Actor,
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
    record(
        session,
        actor=actor,
        action="loyalty.partner_added",
        detail={
            "partner_id": partner_id,
            "code": code,
            "name": name,
            "can_earn": can_earn,
            "can_redeem": can_redeem,
        },
    )
    return partner_id


def partner_id_by_code(session: Session, code: str) -> int:
    found = session.execute(select(LoyaltyPartner.id).where(LoyaltyPartner.code == code)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"no partner {code!r}")
    return found


def issue_key(session: Session, *, partner_id: int, now: dt.datetime, actor: Actor, label: str = "") -> str:
    """A new till key for the partner; the returned secret is never stored (nor audited) and cannot be shown
    again."""
    key = generate_api_key("till")
    session.execute(
        insert(PartnerApiKey).values(
            partner_id=partner_id, prefix=key.prefix, digest=key.digest, label=label, created_at=now
        )
    )
    record(
        session,
        actor=actor,
        action="loyalty.partner_key_issued",
        detail={"partner_id": partner_id, "prefix": key.prefix, "label": label},
    )
    return key.secret


def revoke_key(session: Session, *, prefix: str, now: dt.datetime, actor: Actor) -> None:
    result = session.execute(
        update(PartnerApiKey)
        .where(PartnerApiKey.prefix == prefix, PartnerApiKey.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    if result.rowcount == 0:
        raise NotFound(f"no live key with prefix {prefix!r}")
    record(session, actor=actor, action="loyalty.partner_key_revoked", detail={"prefix": prefix})
    forget_authentications()


def forget_authentications() -> None:
    """Drop this process's cached key answers, so a revocation or rights change applies from the next call."""
    _authenticated.clear()


_KEY_AND_PARTNER = (
    select(
        PartnerApiKey.digest,
        LoyaltyPartner.id,
        LoyaltyPartner.code,
        LoyaltyPartner.can_earn,
        LoyaltyPartner.can_redeem,
        LoyaltyPartner.active,
    )
    .join(LoyaltyPartner, LoyaltyPartner.id == PartnerApiKey.partner_id)
    .where(PartnerApiKey.prefix == bindparam("prefix"), PartnerApiKey.revoked_at.is_(None))
)


def authenticate(session: Session, *, secret: str) -> AuthenticatedPartner | None:
    """The partner a presented key belongs to, or None for an unknown, malformed or revoked key."""
    prefix = key_prefix(secret)
    if prefix is None:
        return None
    connection = session.connection()
    # Keyed by the digest, not the secret, so the cache holds nothing a memory dump could replay.
    cache_key = (connection.engine.url, digest_api_key(secret))
    now = _clock()
    cached = _authenticated.get(cache_key)
    if cached is not None and cached[0] > now:
        return cached[1]
    row = connection.execute(_KEY_AND_PARTNER, {"prefix": prefix}).first()
    if row is None or not api_key_matches(secret, row.digest):
        _authenticated.pop(cache_key, None)
        return None
    partner = AuthenticatedPartner(
        id=row.id, code=row.code, can_earn=row.can_earn, can_redeem=row.can_redeem, active=row.active
    )
    if len(_authenticated) >= AUTH_CACHE_MAX_KEYS:
        _authenticated.clear()
    _authenticated[cache_key] = (now + AUTH_CACHE_SECONDS, partner)
    return partner
