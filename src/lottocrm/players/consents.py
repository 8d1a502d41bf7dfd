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
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select
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
    if purpose == "advertising" and granted:
        _refuse_under_age(session, player_id, occurred_at)
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


class UnderAgeConsent(PlayerServiceError):
    code = "under_age"


def _refuse_under_age(session: Session, player_id: int, occurred_at: dt.datetime) -> None:
    """A minor cannot agree to gambling advertising: the grant is refused, not stored and ignored."""
    player = session.get(Player, player_id)
    if player is not None and is_under_age(player, clock.operator_day(occurred_at)):
        raise UnderAgeConsent(
            "the player is under 18, so an advertising consent cannot be recorded",
        )


def self_exclusion_warning(session: Session, *, player_id: int) -> dt.date | None:
    """The end of the player's self-exclusion when they are excluded today: an advertising consent may be
    recorded (it is the player's word), but the operator is told that no marketing reaches them."""
    state = session.get(ResponsibleGaming, player_id)
    if state is None or state.self_excluded_until is None:
        return None
    return state.self_excluded_until if state.self_excluded_until >= clock.operator_day() else None


@dataclass(frozen=True)
class ConsentState:
    granted: bool
    occurred_at: dt.datetime
    source: str
    notice_version: str
    # The consent-ledger row: what a permit cites as the consent it relied on.
    event_id: int


def current_consents(
    session: Session, *, player_id: int, as_of: dt.datetime | None = None
) -> dict[tuple[str, str], ConsentState]:
    """The state of each (purpose, channel) the player ever answered at ``as_of`` (default: every event
    recorded): its latest event."""
    conditions = [ConsentEvent.player_id == player_id]
    if as_of is not None:
        conditions.append(ConsentEvent.occurred_at <= as_of)
    ranked = select(
        ConsentEvent,
        func.row_number()
        .over(
            partition_by=(ConsentEvent.purpose, ConsentEvent.channel),
            order_by=(ConsentEvent.occurred_at.desc(), ConsentEvent.id.desc()),
        )
        .label("rank"),
    ).where(*conditions)
    latest = ranked.subquery()
    rows = session.execute(select(latest).where(latest.c.rank == 1)).mappings()
    return {
        (row["purpose"], row["channel"]): ConsentState(
            granted=row["granted"],
            occurred_at=row["occurred_at"],
            source=row["source"],
            notice_version=row["notice_version"],
            event_id=row["id"],
        )
        for row in rows
    }


def latest_of_purpose(
    states: dict[tuple[str, str], ConsentState], purpose: str, channel: str | None = None
) -> ConsentState | None:
    """From :func:`current_consents`: the latest event of ``purpose`` on ``channel`` (None: on any channel,
    as for the personal-data consent, which one withdrawal anywhere ends)."""
    found = [state for (p, c), state in states.items() if p == purpose and (channel is None or c == channel)]
    return max(found, key=lambda state: (state.occurred_at, state.event_id), default=None)


def latest_consent_select(purpose: str, as_of: dt.datetime, channel: str | None) -> Select[Any]:
    """Each player's events of ``purpose`` (on ``channel``, or on any channel) up to ``as_of``, ranked: the
    row with ``rank`` 1 is the player's current state. Set-based, for the contact policy's selections."""
    conditions = [ConsentEvent.purpose == purpose, ConsentEvent.occurred_at <= as_of]
    if channel is not None:
        conditions.append(ConsentEvent.channel == channel)
    return select(
        ConsentEvent.player_id,
        ConsentEvent.id.label("event_id"),
        ConsentEvent.granted,
        ConsentEvent.occurred_at,
        func.row_number()
        .over(
            partition_by=ConsentEvent.player_id,
            order_by=(ConsentEvent.occurred_at.desc(), ConsentEvent.id.desc()),
        )
        .label("rank"),
    ).where(*conditions)


def adult_birth_cutoff(day: dt.date) -> dt.date:
    """Players born on or before this date are adults on ``day`` (29 February birthdays count on 1 March)."""
    try:
        return day.replace(year=day.year - ADULT_AGE)
    except ValueError:
        return day.replace(year=day.year - ADULT_AGE, day=28)


def is_under_age(player: Player, day: dt.date) -> bool:
    return bool(player.under_age) or (
        player.birth_date is not None and player.birth_date > adult_birth_cutoff(day)
    )
