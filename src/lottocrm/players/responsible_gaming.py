"""Responsible gaming: self-exclusion, the return after it, time-outs and spending limits. Keyword-only
services that never commit; each change is audited and announced in the caller's transaction.

The contact policy reads this state: marketing stops during a self-exclusion, stays stopped after it ends
until the player's decision to return is recorded here, and stops during a time-out or once the month's
spending limit is reached.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.audit.service import record as audit
from lottocrm.events.outbox import emit
from lottocrm.players.events import ResponsibleGamingChanged
from lottocrm.players.models import ResponsibleGaming
from lottocrm.players.service import PlayerServiceError, checked_reason, require_player

# A time-out is a short break; anything longer is a self-exclusion, with its own rules.
LONGEST_TIMEOUT = dt.timedelta(days=42)


def _state(session: Session, player_id: int) -> ResponsibleGaming:
    require_player(session, player_id)
    state = session.get(ResponsibleGaming, player_id, with_for_update=True)
    if state is None:
        state = ResponsibleGaming(player_id=player_id, flags=[])
        session.add(state)
    return state


def _announce(session: Session, state: ResponsibleGaming) -> None:
    emit(
        session,
        ResponsibleGamingChanged(
            player_id=state.player_id,
            self_excluded_until=state.self_excluded_until,
            monthly_spend_limit_kopecks=state.monthly_spend_limit_kopecks,
            returned_at=state.returned_at,
            timeout_until=state.timeout_until,
        ),
    )


def change_responsible_gaming(
    session: Session,
    *,
    actor: Actor,
    player_id: int,
    self_excluded_until: dt.date | None,
    monthly_spend_limit_kopecks: int | None,
    reason: str | None = None,
) -> ResponsibleGaming:
    """Set a player's self-exclusion end date and monthly spending limit (None clears either). A new or
    longer exclusion forgets an earlier decision to return: the player must decide again after it."""
    if monthly_spend_limit_kopecks is not None and monthly_spend_limit_kopecks < 0:
        raise PlayerServiceError("a spending limit cannot be negative")
    reason = checked_reason(actor, reason)
    state = _state(session, player_id)
    before = (state.self_excluded_until, state.monthly_spend_limit_kopecks)
    if self_excluded_until is not None and self_excluded_until != state.self_excluded_until:
        state.returned_at = None
    state.self_excluded_until = self_excluded_until
    state.monthly_spend_limit_kopecks = monthly_spend_limit_kopecks
    state.updated_at = clock.now()
    session.flush()
    if before == (self_excluded_until, monthly_spend_limit_kopecks):
        return state
    audit(
        session,
        actor=actor,
        action="player.responsible_gaming.change",
        player_id=player_id,
        detail={
            "self_excluded_until": self_excluded_until.isoformat() if self_excluded_until else None,
            "monthly_spend_limit_kopecks": monthly_spend_limit_kopecks,
            "reason": reason,
        },
    )
    _announce(session, state)
    return state


def record_return(
    session: Session, *, actor: Actor, player_id: int, reason: str | None = None
) -> ResponsibleGaming:
    """Record the player's own decision to come back after their self-exclusion ended; marketing may resume
    from now (with consent). Refused while the exclusion runs, or when there was none."""
    reason = checked_reason(actor, reason)
    state = _state(session, player_id)
    today = clock.operator_day()
    if state.self_excluded_until is None:
        raise PlayerServiceError("the player has no self-exclusion to return from")
    if state.self_excluded_until >= today:
        raise PlayerServiceError(
            "the self-exclusion runs until %(until)s: a return can be recorded only after it ends",
            until=state.self_excluded_until.isoformat(),
        )
    if state.returned_at is not None:
        return state
    state.returned_at = clock.now()
    state.updated_at = state.returned_at
    session.flush()
    audit(
        session,
        actor=actor,
        action="player.responsible_gaming.return",
        player_id=player_id,
        detail={"self_excluded_until": state.self_excluded_until.isoformat(), "reason": reason},
    )
    _announce(session, state)
    return state


def start_timeout(
    session: Session, *, actor: Actor, player_id: int, until: dt.datetime, reason: str | None = None
) -> ResponsibleGaming:
    """A break the player asked for, ending at ``until`` (at most six weeks ahead). No marketing until then;
    a time-out already running is only ever lengthened, never shortened."""
    if until.tzinfo is None:
        raise PlayerServiceError("the end of a time-out must carry a time zone")
    now = clock.now()
    if not now < until <= now + LONGEST_TIMEOUT:
        raise PlayerServiceError("a time-out ends in the future and at most six weeks from now")
    reason = checked_reason(actor, reason)
    state = _state(session, player_id)
    if state.timeout_until is not None and state.timeout_until >= until:
        return state
    state.timeout_until = until
    state.updated_at = now
    session.flush()
    audit(
        session,
        actor=actor,
        action="player.responsible_gaming.timeout",
        player_id=player_id,
        detail={"until": until.isoformat(), "reason": reason},
    )
    _announce(session, state)
    return state
