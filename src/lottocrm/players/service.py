"""Player identities. Keyword-only services that never commit: the caller owns the
transaction. Each change takes the acting person or system, writes its own audit row and announces itself
(:mod:`lottocrm.players.events`) in that same transaction.
"""

from __future__ import annotations

import unicodedata

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lottocrm import clock, vocab
from lottocrm.audit.service import Actor
from lottocrm.audit.service import record as audit
from lottocrm.errors import Conflict, NotFound, ServiceError, Term
from lottocrm.events.outbox import emit
from lottocrm.players.contact_formats import is_valid_email, phone_as_e164
from lottocrm.players.events import IdentityChanged
from lottocrm.players.models import FormerIdentity, Player, PlayerIdentity
from lottocrm.players.schemas import mask_identity

# Kinds an operator may replace or remove; cards belong to the loyalty programme, devices to the app.
CHANGEABLE_IDENTITY_KINDS = ("phone", "email")
MIN_REASON, MAX_REASON = 3, 500


class PlayerServiceError(ServiceError):
    """A request the player services refuse, with a message fit to show an operator."""

    code = "invalid_player_change"


class PlayerNotFoundError(PlayerServiceError, NotFound):
    code = "player_not_found"


class InvalidIdentityError(PlayerServiceError):
    code = "invalid_contact"


class IdentityNotFoundError(PlayerServiceError, NotFound):
    code = "contact_not_found"


class IdentityTakenError(PlayerServiceError, Conflict):
    code = "contact_taken"

    def __init__(self, kind: str, value: str, owner_id: int) -> None:
        # The owner stays out of the message: the caller may not be allowed to see that player.
        super().__init__("this %(kind)s already belongs to another player", kind=Term(kind))
        self.kind, self.value, self.owner_id = kind, value, owner_id


def require_player(session: Session, player_id: int) -> None:
    if session.get(Player, player_id) is None:
        raise PlayerNotFoundError("no player with id %(player_id)s", player_id=player_id)


def require_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise PlayerServiceError(
            "unknown %(field)s %(value)r; expected one of %(allowed)s",
            field=Term(name),
            value=value,
            allowed=tuple(Term(choice) for choice in allowed),
        )


# --- identities ---------------------------------------------------------------------------------------


def normalise_phone(raw: str) -> str:
    """Any common way of writing a phone (``8 (916) 123-45-67``, ``+7 916…``) as E.164, read as Russian."""
    e164 = phone_as_e164(raw)
    if e164 is None:
        raise InvalidIdentityError("not a valid phone number: %(value)r", value=raw)
    return e164


def normalise_email(raw: str) -> str:
    email = raw.strip().lower()
    if not is_valid_email(email):
        raise InvalidIdentityError("not an e-mail address: %(value)r", value=raw)
    return email


def normalise_identity(kind: str, raw: str) -> str:
    require_choice("identity kind", kind, vocab.IDENTITY_KINDS)
    if kind == "phone":
        return normalise_phone(raw)
    if kind == "email":
        return normalise_email(raw)
    value = raw.strip()
    if not value:
        raise InvalidIdentityError("empty %(kind)s identity", kind=Term(kind))
    return value


def checked_reason(actor: Actor, reason: str | None) -> str | None:
    """A person's change needs a reason for the audit log (3–500 characters of plain text); a machine's
    (an import, the website) may give none."""
    if reason is None and not actor.is_person:
        return None
    cleaned = (reason or "").strip()
    if not MIN_REASON <= len(cleaned) <= MAX_REASON:
        raise PlayerServiceError(
            "a reason of %(min)s–%(max)s characters is required", min=MIN_REASON, max=MAX_REASON
        )
    if any(unicodedata.category(char) == "Cc" for char in cleaned):
        raise PlayerServiceError("the reason contains control characters; type it as plain text")
    return cleaned


def _insert_identity(
    session: Session, *, player_id: int, kind: str, normalised: str, verified: bool
) -> tuple[PlayerIdentity, bool]:
    """(identity, created?) — the player's existing one when they already have it."""
    require_player(session, player_id)
    same_identity = (PlayerIdentity.kind == kind, PlayerIdentity.value == normalised)
    existing = session.scalar(select(PlayerIdentity).where(*same_identity))
    if existing is not None:
        if existing.player_id != player_id:
            raise IdentityTakenError(kind, normalised, existing.player_id)
        return existing, False
    identity = PlayerIdentity(
        player_id=player_id, kind=kind, value=normalised, verified=verified, created_at=clock.now()
    )
    try:
        # A savepoint, so losing a race to a concurrent insert leaves the caller's transaction usable.
        with session.begin_nested():
            session.add(identity)
    except IntegrityError:
        owner = session.scalar(
            select(PlayerIdentity.player_id).where(
                PlayerIdentity.kind == kind, PlayerIdentity.value == normalised
            )
        )
        raise IdentityTakenError(kind, normalised, owner if owner is not None else -1) from None
    return identity, True


def add_identity(
    session: Session,
    *,
    actor: Actor,
    player_id: int,
    kind: str,
    value: str,
    reason: str | None = None,
    verified: bool = False,
) -> PlayerIdentity:
    """Attach a phone, e-mail, card or device to a player, normalised. Adding one the player already has
    returns it unchanged; one that belongs to another player raises IdentityTakenError."""
    normalised = normalise_identity(kind, value)
    reason = checked_reason(actor, reason)
    identity, created = _insert_identity(
        session, player_id=player_id, kind=kind, normalised=normalised, verified=verified
    )
    if created:
        audit(
            session,
            actor=actor,
            action="player.identity.add",
            player_id=player_id,
            detail={"kind": kind, "value": mask_identity(kind, normalised), "reason": reason},
        )
        emit(session, IdentityChanged(player_id=player_id, kind=kind, change="added"))
    return identity


def _identity_of(session: Session, player_id: int, identity_id: int) -> PlayerIdentity:
    """The player's identity, locked for the change; another player's id is reported as not found."""
    identity = session.scalar(
        select(PlayerIdentity)
        .where(PlayerIdentity.id == identity_id, PlayerIdentity.player_id == player_id)
        .with_for_update()
    )
    if identity is None:
        require_player(session, player_id)
        raise IdentityNotFoundError(
            "player %(player_id)s has no contact with id %(identity_id)s",
            player_id=player_id,
            identity_id=identity_id,
        )
    if identity.kind not in CHANGEABLE_IDENTITY_KINDS:
        raise InvalidIdentityError(
            "a %(kind)s cannot be replaced or removed here, only phones and e-mails", kind=Term(identity.kind)
        )
    return identity


def _retire(
    session: Session,
    identity: PlayerIdentity,
    *,
    change: str,
    replaced_by: str | None,
    actor: Actor,
    reason: str,
) -> FormerIdentity:
    former = FormerIdentity(
        player_id=identity.player_id,
        kind=identity.kind,
        value=identity.value,
        verified=identity.verified,
        added_at=identity.created_at,
        change=change,
        replaced_by=replaced_by,
        changed_at=clock.now(),
        changed_by=actor.name,
        reason=reason,
    )
    session.add(former)
    session.delete(identity)
    session.flush()
    return former


def _audit_retirement(session: Session, *, actor: Actor, former: FormerIdentity) -> None:
    detail: dict[str, object] = {"kind": former.kind, "value": mask_identity(former.kind, former.value)}
    if former.replaced_by is not None:
        detail["new_value"] = mask_identity(former.kind, former.replaced_by)
    audit(
        session,
        actor=actor,
        action=f"player.identity.{former.change[:-1]}",
        player_id=former.player_id,
        detail={**detail, "reason": former.reason, "history_id": former.id},
    )
    emit(
        session,
        IdentityChanged(player_id=former.player_id, kind=former.kind, change=former.change),  # type: ignore[arg-type]
    )


def remove_identity(
    session: Session, *, actor: Actor, player_id: int, identity_id: int, reason: str
) -> FormerIdentity:
    """Take a phone or e-mail off a player. The live row goes (the number may later be someone else's);
    the contact history keeps the value with who removed it, when and why."""
    reason = checked_reason(actor, reason) or ""
    identity = _identity_of(session, player_id, identity_id)
    former = _retire(session, identity, change="removed", replaced_by=None, actor=actor, reason=reason)
    _audit_retirement(session, actor=actor, former=former)
    return former


def replace_identity(
    session: Session, *, actor: Actor, player_id: int, identity_id: int, value: str, reason: str
) -> tuple[FormerIdentity, PlayerIdentity]:
    """Put a new phone or e-mail (of the same kind, normalised) in the place of an old one; the old one
    goes to the contact history. Refused if the new value is unchanged or belongs to another player.
    The change is one audit row and one event (a replacement, not a removal and an addition)."""
    reason = checked_reason(actor, reason) or ""
    identity = _identity_of(session, player_id, identity_id)
    normalised = normalise_identity(identity.kind, value)
    if normalised == identity.value:
        raise InvalidIdentityError("the new %(kind)s is the same as the old one", kind=Term(identity.kind))
    owner = session.scalar(
        select(PlayerIdentity.player_id).where(
            PlayerIdentity.kind == identity.kind, PlayerIdentity.value == normalised
        )
    )
    if owner is not None:
        raise IdentityTakenError(identity.kind, normalised, owner)
    kind = identity.kind
    former = _retire(session, identity, change="replaced", replaced_by=normalised, actor=actor, reason=reason)
    new, _created = _insert_identity(
        session, player_id=player_id, kind=kind, normalised=normalised, verified=False
    )
    _audit_retirement(session, actor=actor, former=former)
    return former, new


FORMER_IDENTITIES_SHOWN = 50


def former_identities(
    session: Session, *, player_id: int, limit: int = FORMER_IDENTITIES_SHOWN
) -> list[FormerIdentity]:
    return list(
        session.scalars(
            select(FormerIdentity)
            .where(FormerIdentity.player_id == player_id)
            .order_by(FormerIdentity.changed_at.desc(), FormerIdentity.id.desc())
            .limit(limit)
        )
    )
