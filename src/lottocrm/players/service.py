"""Player identities and consents. Keyword-only services that never commit: the caller owns the transaction.

Consent rules, the ones marketing must never get wrong:

- Advertising on a channel needs the latest advertising event for that channel to be a grant.
- Personal-data processing is one consent whatever channel it was collected through: the latest
  personal-data event on any channel decides, so a withdrawal through any channel stops all processing.
- "Latest" means the latest ``occurred_at``; events that happened at the same moment are ordered by the
  order they were recorded in. Consents imported late (an old paper form) take their true place in time.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lottocrm import vocab
from lottocrm.players.contact_rules import is_valid_email, phone_as_e164
from lottocrm.players.models import (
    ConsentEvent,
    FormerIdentity,
    Player,
    PlayerIdentity,
    ResponsibleGaming,
)

ADULT_AGE = 18
# Kinds an operator may replace or remove; cards belong to the loyalty programme, devices to the app.
CHANGEABLE_IDENTITY_KINDS = ("phone", "email")
MIN_REASON, MAX_REASON = 3, 500


class PlayerServiceError(ValueError):
    """A request the player services refuse, with a message fit to show an operator."""


class PlayerNotFoundError(PlayerServiceError):
    pass


class InvalidIdentityError(PlayerServiceError):
    pass


class IdentityNotFoundError(PlayerServiceError):
    pass


class IdentityTakenError(PlayerServiceError):
    def __init__(self, kind: str, value: str, owner_id: int) -> None:
        super().__init__(f"{kind} {value} already belongs to player {owner_id}")
        self.kind, self.value, self.owner_id = kind, value, owner_id


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _require_player(session: Session, player_id: int) -> None:
    if session.get(Player, player_id) is None:
        raise PlayerNotFoundError(f"no player with id {player_id}")


def _require_choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise PlayerServiceError(f"unknown {name} {value!r}; expected one of {', '.join(allowed)}")


# --- identities ---------------------------------------------------------------------------------------


def normalise_phone(raw: str) -> str:
    """Any common way of writing a phone (``8 (916) 123-45-67``, ``+7 916…``) as E.164, read as Russian."""
    e164 = phone_as_e164(raw)
    if e164 is None:
        raise InvalidIdentityError(f"not a valid phone number: {raw!r}")
    return e164


def normalise_email(raw: str) -> str:
    email = raw.strip().lower()
    if not is_valid_email(email):
        raise InvalidIdentityError(f"not an e-mail address: {raw!r}")
    return email


def normalise_identity(kind: str, raw: str) -> str:
    _require_choice("identity kind", kind, vocab.IDENTITY_KINDS)
    if kind == "phone":
        return normalise_phone(raw)
    if kind == "email":
        return normalise_email(raw)
    value = raw.strip()
    if not value:
        raise InvalidIdentityError(f"empty {kind} identity")
    return value


def add_identity(
    session: Session, *, player_id: int, kind: str, value: str, verified: bool = False
) -> PlayerIdentity:
    """Attach a phone, e-mail, card or device to a player, normalised. Adding one the player already has
    returns it unchanged; one that belongs to another player raises IdentityTakenError."""
    normalised = normalise_identity(kind, value)
    _require_player(session, player_id)
    same_identity = (PlayerIdentity.kind == kind, PlayerIdentity.value == normalised)
    existing = session.scalar(select(PlayerIdentity).where(*same_identity))
    if existing is not None:
        if existing.player_id != player_id:
            raise IdentityTakenError(kind, normalised, existing.player_id)
        return existing
    identity = PlayerIdentity(
        player_id=player_id, kind=kind, value=normalised, verified=verified, created_at=_utcnow()
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
    return identity


def _identity_of(session: Session, player_id: int, identity_id: int) -> PlayerIdentity:
    """The player's identity, locked for the change; another player's id is reported as not found."""
    identity = session.scalar(
        select(PlayerIdentity)
        .where(PlayerIdentity.id == identity_id, PlayerIdentity.player_id == player_id)
        .with_for_update()
    )
    if identity is None:
        _require_player(session, player_id)
        raise IdentityNotFoundError(f"player {player_id} has no contact with id {identity_id}")
    if identity.kind not in CHANGEABLE_IDENTITY_KINDS:
        raise InvalidIdentityError(
            f"a {identity.kind} cannot be replaced or removed here, only phones and e-mails"
        )
    return identity


def _change_reason(reason: str) -> str:
    cleaned = reason.strip()
    if not MIN_REASON <= len(cleaned) <= MAX_REASON:
        raise PlayerServiceError(f"a reason of {MIN_REASON}–{MAX_REASON} characters is required")
    if any(unicodedata.category(char) == "Cc" for char in cleaned):
        raise PlayerServiceError("the reason contains control characters; type it as plain text")
    return cleaned


def _retire(
    identity: PlayerIdentity, *, change: str, replaced_by: str | None, actor: str, reason: str
) -> FormerIdentity:
    return FormerIdentity(
        player_id=identity.player_id,
        kind=identity.kind,
        value=identity.value,
        verified=identity.verified,
        added_at=identity.created_at,
        change=change,
        replaced_by=replaced_by,
        changed_at=_utcnow(),
        changed_by=actor,
        reason=reason,
    )


def remove_identity(
    session: Session, *, player_id: int, identity_id: int, actor: str, reason: str
) -> FormerIdentity:
    """Take a phone or e-mail off a player. The live row goes (the number may later be someone else's);
    the contact history keeps the value with who removed it, when and why."""
    reason = _change_reason(reason)
    identity = _identity_of(session, player_id, identity_id)
    former = _retire(identity, change="removed", replaced_by=None, actor=actor, reason=reason)
    session.add(former)
    session.delete(identity)
    session.flush()
    return former


def replace_identity(
    session: Session, *, player_id: int, identity_id: int, value: str, actor: str, reason: str
) -> tuple[FormerIdentity, PlayerIdentity]:
    """Put a new phone or e-mail (of the same kind, normalised) in the place of an old one; the old one
    goes to the contact history. Refused if the new value is unchanged or belongs to another player."""
    reason = _change_reason(reason)
    identity = _identity_of(session, player_id, identity_id)
    normalised = normalise_identity(identity.kind, value)
    if normalised == identity.value:
        raise InvalidIdentityError(f"the new {identity.kind} is the same as the old one")
    owner = session.scalar(
        select(PlayerIdentity.player_id).where(
            PlayerIdentity.kind == identity.kind, PlayerIdentity.value == normalised
        )
    )
    if owner is not None:
        raise IdentityTakenError(identity.kind, normalised, owner)
    former = _retire(identity, change="replaced", replaced_by=normalised, actor=actor, reason=reason)
    session.add(former)
    kind = identity.kind
    session.delete(identity)
    session.flush()
    return former, add_identity(session, player_id=player_id, kind=kind, value=normalised)


def former_identities(session: Session, *, player_id: int, limit: int = 50) -> list[FormerIdentity]:
    return list(
        session.scalars(
            select(FormerIdentity)
            .where(FormerIdentity.player_id == player_id)
            .order_by(FormerIdentity.changed_at.desc(), FormerIdentity.id.desc())
            .limit(limit)
        )
    )


# --- consents -----------------------------------------------------------------------------------------


def record_consent(
    session: Session,
    *,
    player_id: int,
    purpose: str,
    channel: str,
    granted: bool,
    source: str,
    notice_version: str,
    occurred_at: dt.datetime,
) -> ConsentEvent:
    """Append one consent event (a grant or a withdrawal). History is never edited, only added to."""
    _require_choice("consent purpose", purpose, vocab.CONSENT_PURPOSES)
    _require_choice("consent channel", channel, vocab.CONSENT_CHANNELS)
    _require_choice("consent source", source, vocab.CONSENT_SOURCES)
    if occurred_at.tzinfo is None:
        raise PlayerServiceError("occurred_at must carry a time zone")
    recorded_at = _utcnow()
    if occurred_at > recorded_at:
        raise PlayerServiceError(f"consent dated in the future: {occurred_at.isoformat()}")
    if not notice_version.strip():
        raise PlayerServiceError("notice_version is required: which text did the player agree to?")
    _require_player(session, player_id)
    event = ConsentEvent(
        player_id=player_id,
        purpose=purpose,
        channel=channel,
        granted=granted,
        occurred_at=occurred_at,
        source=source,
        notice_version=notice_version,
        recorded_at=recorded_at,
    )
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ConsentState:
    granted: bool
    occurred_at: dt.datetime
    source: str
    notice_version: str


def current_consents(session: Session, *, player_id: int) -> dict[tuple[str, str], ConsentState]:
    """The current state of each (purpose, channel) the player ever answered: its latest event."""
    ranked = select(
        ConsentEvent,
        func.row_number()
        .over(
            partition_by=(ConsentEvent.purpose, ConsentEvent.channel),
            order_by=(ConsentEvent.occurred_at.desc(), ConsentEvent.id.desc()),
        )
        .label("rank"),
    ).where(ConsentEvent.player_id == player_id)
    latest = ranked.subquery()
    rows = session.execute(select(latest).where(latest.c.rank == 1)).mappings()
    return {
        (row["purpose"], row["channel"]): ConsentState(
            granted=row["granted"],
            occurred_at=row["occurred_at"],
            source=row["source"],
            notice_version=row["notice_version"],
        )
        for row in rows
    }


def _latest_consent(purpose: str, as_of: dt.datetime, channel: str | None) -> Select[tuple[int, bool, int]]:
    """Each player's latest event for ``purpose`` (on ``channel``, or on any channel) up to ``as_of``."""
    conditions = [ConsentEvent.purpose == purpose, ConsentEvent.occurred_at <= as_of]
    if channel is not None:
        conditions.append(ConsentEvent.channel == channel)
    return select(
        ConsentEvent.player_id,
        ConsentEvent.granted,
        func.row_number()
        .over(
            partition_by=ConsentEvent.player_id,
            order_by=(ConsentEvent.occurred_at.desc(), ConsentEvent.id.desc()),
        )
        .label("rank"),
    ).where(*conditions)


def _adult_birth_cutoff(day: dt.date) -> dt.date:
    """Players born on or before this date are adults on ``day`` (29 February birthdays count on 1 March)."""
    try:
        return day.replace(year=day.year - ADULT_AGE)
    except ValueError:
        return day.replace(year=day.year - ADULT_AGE, day=28)


def contactable_players_select(*, channel: str, as_of: dt.datetime) -> Select[tuple[int]]:
    """Ids of players marketing may contact on ``channel`` at ``as_of``, as one set-based SELECT.

    Composable (count it, join it, INSERT … SELECT it) and index-driven, so it runs inside the database for
    millions of players. Dates (self-exclusion, age) are read in the time zone of ``as_of``.
    """
    _require_choice("consent channel", channel, vocab.CONSENT_CHANNELS)
    if as_of.tzinfo is None:
        raise PlayerServiceError("as_of must carry a time zone")
    day = as_of.date()
    advertising = _latest_consent("advertising", as_of, channel).subquery("advertising")
    personal_data = _latest_consent("personal_data", as_of, None).subquery("personal_data")
    return (
        select(Player.id)
        .join(advertising, and_(advertising.c.player_id == Player.id, advertising.c.rank == 1))
        .join(personal_data, and_(personal_data.c.player_id == Player.id, personal_data.c.rank == 1))
        .outerjoin(ResponsibleGaming, ResponsibleGaming.player_id == Player.id)
        .where(
            advertising.c.granted,
            personal_data.c.granted,
            Player.status == "active",
            Player.under_age.is_(False),
            or_(Player.birth_date.is_(None), Player.birth_date <= _adult_birth_cutoff(day)),
            or_(ResponsibleGaming.self_excluded_until.is_(None), ResponsibleGaming.self_excluded_until < day),
        )
        .order_by(Player.id)
    )


def contactable_players(
    session: Session, *, channel: str, as_of: dt.datetime, batch_size: int = 10_000
) -> Iterator[int]:
    """Stream the ids from :func:`contactable_players_select` in id order, ``batch_size`` rows at a time."""
    statement = contactable_players_select(channel=channel, as_of=as_of)
    yield from session.scalars(statement.execution_options(yield_per=batch_size))
