"""Accept a batch of events: check each, look up players and games once per batch, store the new ones
(an id already stored is a duplicate, not an error), and keep the refused ones as dead letters — all in the
caller's transaction, so a batch is stored whole or not at all.

Readers (journey triggers) follow ``player_events.id`` in order. A stored batch is announced once
(``player_events.accepted``), which wakes them; events are not announced one by one: at thousands a second
that would be a job per event per subscriber.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from lottocrm.catalog.models import Game
from lottocrm.db.conflicts import insert_ignoring_conflicts
from lottocrm.events.outbox import emit
from lottocrm.player_events.checks import Candidate, Refusal, check
from lottocrm.player_events.events import EventsAccepted
from lottocrm.player_events.models import MAX_EVENT_ID, DeadLetter, PlayerEvent
from lottocrm.players.models import Player

MAX_BATCH = 1000
# A dead letter keeps the event as sent up to this size; a larger one keeps a note and its first bytes.
MAX_KEPT_BODY = 16 * 1024


@dataclass(frozen=True)
class Refused:
    position: int
    event_id: str | None
    reason: str
    field: str
    detail: str


@dataclass(frozen=True)
class Outcome:
    accepted: int
    duplicates: tuple[str, ...]
    refused: tuple[Refused, ...]


def accept(session: Session, events: Sequence[Any], *, source: str, now: dt.datetime) -> Outcome:
    checked = [check(raw, now=now) for raw in events]
    candidates = [item for item in checked if isinstance(item, Candidate)]
    known_players = _known(session, Player.id, {c.envelope.player_id for c in candidates})
    known_games = _known(session, Game.code, {_game(c) for c in candidates})
    rows: list[dict[str, Any]] = []
    refused: list[Refused] = []
    duplicates: list[str] = []
    seen: set[str] = set()
    for position, (raw, item) in enumerate(zip(events, checked, strict=True)):
        if isinstance(item, Candidate):
            item = _against_store(item, known_players, known_games)
        if isinstance(item, Refusal):
            refused.append(Refused(position, _claimed_id(raw), item.reason, item.field, item.detail))
        elif item.envelope.id in seen:
            duplicates.append(item.envelope.id)
        else:
            seen.add(item.envelope.id)
            rows.append(_row(item, known_players, source=source, now=now))
    stored = _store(session, rows)
    if stored:
        _announce(session, stored)
    duplicates.extend(row["event_id"] for row in rows if row["event_id"] not in stored)
    if refused:
        session.execute(
            DeadLetter.__table__.insert(),
            [_dead_letter(events[r.position], r, source=source, now=now) for r in refused],
        )
    return Outcome(accepted=len(stored), duplicates=tuple(duplicates), refused=tuple(refused))


def _announce(session: Session, stored: dict[str, int]) -> None:
    ids = stored.values()
    emit(session, EventsAccepted(first_id=min(ids), last_id=max(ids), events=len(stored)))


def _known(session: Session, column: Any, values: set[Any]) -> set[Any]:
    values.discard(None)
    if not values:
        return set()
    return set(session.scalars(select(column).where(column.in_(values))))


def _game(candidate: Candidate) -> str | None:
    name = candidate.kind.game_property
    return candidate.properties.get(name) if name else None


def _against_store(candidate: Candidate, players: set[int], games: set[str]) -> Candidate | Refusal:
    player_id = candidate.envelope.player_id
    if player_id is not None and player_id not in players and not candidate.kind.anonymous:
        return Refusal(
            "unknown_player",
            "player_id",
            f"no player {player_id}; a {candidate.kind.name} is kept only for a known player "
            "(send it again once the player's registration has reached the CRM)",
        )
    game = _game(candidate)
    if game is not None and game not in games:
        return Refusal("unknown_game", f"properties.{candidate.kind.game_property}", f"no game {game!r}")
    return candidate


def _row(candidate: Candidate, players: set[int], *, source: str, now: dt.datetime) -> dict[str, Any]:
    envelope = candidate.envelope
    known = envelope.player_id in players
    return {
        "event_id": envelope.id,
        "type": envelope.type,
        "channel": envelope.channel,
        "occurred_at": candidate.occurred_at,
        "received_at": now,
        "player_id": envelope.player_id if known else None,
        "claimed_player_id": None if known else envelope.player_id,
        "device_id": envelope.device_id,
        "properties": candidate.properties,
        "source": source,
    }


def _store(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    """The event ids this call stored, with their row ids; an id already in the table (an earlier batch, or
    a concurrent request with the same events) is skipped by the database, not refused."""
    if not rows:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        return _store_unnested(session, rows)
    table = PlayerEvent.__table__
    statement = insert_ignoring_conflicts(session, table, ["event_id"]).returning(
        table.c.event_id, table.c.id
    )
    return dict(session.execute(statement, rows).all())


# One array per column: ten parameters whatever the batch's size. A multi-row VALUES list of 5 000
# placeholders cost psycopg ~90 ms a batch just to parse (measured with cProfile, bench/event_api_bench.py).
UNNESTED_INSERT = text(
    """
    INSERT INTO player_events (event_id, type, channel, occurred_at, received_at, player_id,
                               claimed_player_id, device_id, properties, source)
    SELECT e.event_id, e.type, e.channel, e.occurred_at, :received_at, e.player_id, e.claimed_player_id,
           e.device_id, e.properties::json, :source
    FROM unnest(CAST(:event_id AS text[]), CAST(:type AS text[]), CAST(:channel AS text[]),
                CAST(:occurred_at AS timestamptz[]), CAST(:player_id AS bigint[]),
                CAST(:claimed_player_id AS bigint[]), CAST(:device_id AS text[]), CAST(:properties AS text[]))
         AS e(event_id, type, channel, occurred_at, player_id, claimed_player_id, device_id, properties)
    ON CONFLICT (event_id) DO NOTHING
    RETURNING event_id, id
    """
)
COLUMNS = ("event_id", "type", "channel", "occurred_at", "player_id", "claimed_player_id", "device_id")


def _store_unnested(session: Session, rows: list[dict[str, Any]]) -> dict[str, int]:
    params: dict[str, Any] = {name: [row[name] for row in rows] for name in COLUMNS}
    params["properties"] = [json.dumps(row["properties"], ensure_ascii=False) for row in rows]
    params["received_at"], params["source"] = rows[0]["received_at"], rows[0]["source"]
    return dict(session.execute(UNNESTED_INSERT, params).all())


def _claimed_id(raw: Any) -> str | None:
    claimed = raw.get("id") if isinstance(raw, dict) else None
    return claimed[:MAX_EVENT_ID] if isinstance(claimed, str) else None


def _dead_letter(raw: Any, refused: Refused, *, source: str, now: dt.datetime) -> dict[str, Any]:
    claimed_type = raw.get("type") if isinstance(raw, dict) else None
    return {
        "received_at": now,
        "source": source,
        "position": refused.position,
        "event_id": refused.event_id,
        "type": claimed_type[:64] if isinstance(claimed_type, str) else None,
        "reason": refused.reason,
        "field": refused.field[:200],
        "detail": refused.detail,
        "body": _kept_body(raw),
    }


def _kept_body(raw: Any) -> Any:
    text = json.dumps(raw, ensure_ascii=False)
    if len(text) <= MAX_KEPT_BODY:
        return raw
    return {"truncated": True, "size": len(text), "start": text[:1024]}


def dead_letters(session: Session, *, offset: int, limit: int) -> tuple[list[DeadLetter], int]:
    """The newest refused events first, and how many there are."""
    total = session.scalar(select(func.count()).select_from(DeadLetter)) or 0
    page = session.scalars(
        select(DeadLetter).order_by(DeadLetter.id.desc()).offset(offset).limit(limit)
    ).all()
    return list(page), total


def day_summary(session: Session, *, since: dt.datetime) -> tuple[dict[str, int], dict[str, int]]:
    """Since ``since``: accepted events by type, refused ones by reason."""
    accepted = session.execute(
        select(PlayerEvent.type, func.count())
        .where(PlayerEvent.received_at >= since)
        .group_by(PlayerEvent.type)
    ).all()
    refused = session.execute(
        select(DeadLetter.reason, func.count())
        .where(DeadLetter.received_at >= since)
        .group_by(DeadLetter.reason)
    ).all()
    return dict(accepted), dict(refused)
