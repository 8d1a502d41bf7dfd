"""Consents: recording them (audited, announced) and reading their current state, for one player or as a
set-based query. Keyword-only services that never commit: the caller owns the transaction.

Consent rules, the ones marketing must never get wrong:

- Advertising on a channel needs the latest advertising event for that channel to be a grant.
- Personal-data processing is one consent whatever channel it was collected through: the latest
  personal-data event on any channel decides, so a withdrawal through any channel stops all processing.
- "Latest" means the latest ``occurred_at``; events that happened at the same moment are ordered by the
  order they were recorded in. Consents imported late (an old paper form) take their true place in time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from lottocrm import clock, vocab
from lottocrm.audit.service import Actor
from lottocrm.audit.service import record as audit
from lottocrm.events.outbox import emit
from lottocrm.players.events import ConsentChanged
from lottocrm.players.models import ConsentEvent, Player, ResponsibleGaming
from lottocrm.players.service import (
    PlayerServiceError,
    checked_reason,
    require_choice,
    require_player,
)

ADULT_AGE = 18


def record_consent(
    session: Session,
    *,
    actor: Actor,
    player_id: int,
    purpose: str,
    channel: str,
    granted: bool,
    source: str,
    notice_version: str,
    occurred_at: dt.datetime,
    reason: str | None = None,
) -> ConsentEvent:
    """Append one consent event (a grant or a withdrawal). History is never edited, only added to."""
    require_choice("consent purpose", purpose, vocab.CONSENT_PURPOSES)
    require_choice("consent channel", channel, vocab.CONSENT_CHANNELS)
    require_choice("consent source", source, vocab.CONSENT_SOURCES)
    if occurred_at.tzinfo is None:
        raise PlayerServiceError("occurred_at must carry a time zone")
    recorded_at = clock.now()
    if occurred_at > recorded_at:
        raise PlayerServiceError("consent dated in the future: %(when)s", when=occurred_at.isoformat())
    if not notice_version.strip():
        raise PlayerServiceError("notice_version is required: which text did the player agree to?")
    reason = checked_reason(actor, reason)
    require_player(session, player_id)
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
    audit(
        session,
        actor=actor,
        action="player.consent.change",
        player_id=player_id,
        detail={"purpose": purpose, "channel": channel, "granted": granted, "reason": reason},
    )
    emit(
        session,
        ConsentChanged(
            player_id=player_id,
            consent_event_id=event.id,
            purpose=purpose,
            channel=channel,
            granted=granted,
            source=source,
            occurred_at=occurred_at,
        ),
    )
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
    require_choice("consent channel", channel, vocab.CONSENT_CHANNELS)
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
