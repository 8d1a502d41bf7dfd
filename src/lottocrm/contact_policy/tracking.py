"""Keeps the contactability rows in step with what a session changes, in the same transaction.

Every session notes, after each flush, the players whose gate facts it changed: a player's status, region or
birth date, their responsible-gaming state, a consent event, an identity (an identity that moves notes both
players), an address marked unreachable (its owners). ``settle`` recomputes their rows; it runs before every
commit, and ``decide`` and the selections run it first, so a read in the middle of a transaction sees the
transaction's own changes. A rolled-back transaction forgets what it noted.

Declared as a models module of the domain (``wiring.py``) so that every process that loads the tables also
installs these hooks. Bulk loaders that write with Core on a connection (the importer, the simulator) call
``standing.refresh`` themselves; so does the cap ledger.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session

from lottocrm.contact_policy import standing
from lottocrm.contact_policy.models import UnreachablePoint
from lottocrm.players.models import ConsentEvent, Player, PlayerIdentity, ResponsibleGaming

_PLAYERS = "contact_policy.pending_players"
_POINTS = "contact_policy.pending_points"
# The player's columns the gate reads; a change of name or address alone does not move the row.
_PLAYER_FACTS = ("status", "region", "under_age", "birth_date")
_OWNED = (ResponsibleGaming, ConsentEvent, PlayerIdentity)


def _noted(session: Session) -> tuple[set[int], set[str]]:
    return session.info.setdefault(_PLAYERS, set()), session.info.setdefault(_POINTS, set())


def note_players(session: Session, player_ids: Any) -> None:
    """Mark players whose facts changed outside the ORM (a Core statement in a service)."""
    _noted(session)[0].update(player_ids)


@event.listens_for(Session, "after_flush")
def _note_flushed(session: Session, _context: object) -> None:
    players, points = _noted(session)
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, UnreachablePoint):
            points.add(instance.contact_point)
        elif isinstance(instance, Player):
            state = inspect(instance)
            if (
                instance in session.new
                or instance in session.deleted
                or any(state.attrs[name].history.has_changes() for name in _PLAYER_FACTS)
            ):
                players.add(instance.id)
        elif isinstance(instance, _OWNED):
            players.add(instance.player_id)
            # An identity handed to another player changes both.
            players.update(owner for owner in inspect(instance).attrs.player_id.history.deleted if owner)


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_insert(state: ORMExecuteState) -> None:
    """An ``insert(ConsentEvent)`` with rows of values names its players in its parameters."""
    if not state.is_insert or state.bind_mapper is None or state.bind_mapper.class_ not in (*_OWNED, Player):
        return
    key = "id" if state.bind_mapper.class_ is Player else "player_id"
    parameters = state.parameters
    rows = parameters if isinstance(parameters, list) else [parameters or {}]
    note_players(state.session, (row[key] for row in rows if row.get(key) is not None))


def settle(session: Session) -> None:
    """Recompute the rows of every player this session changed so far."""
    # The policy decides the caps folded into the rows; imported here because the service reads the rows.
    from lottocrm.contact_policy.service import current_policy

    players, points = _noted(session)
    session.flush()
    while players or points:
        connection = session.connection()
        players.update(standing.owners_of(connection, points))
        points.clear()
        changed = sorted(players)
        players.clear()
        standing.refresh(connection, changed, policy=current_policy(session)[1])


@event.listens_for(Session, "before_commit")
def _settle_before_commit(session: Session) -> None:
    players, points = _noted(session)
    session.flush()
    if players or points:
        settle(session)


@event.listens_for(Session, "after_soft_rollback")
def _forget(session: Session, _previous: object) -> None:
    if not session.in_transaction():
        session.info.pop(_PLAYERS, None)
        session.info.pop(_POINTS, None)
