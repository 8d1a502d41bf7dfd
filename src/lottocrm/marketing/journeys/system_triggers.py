"""The system's own facts as journey triggers: wins loaded into the lake, the day's birthdays and
registration anniversaries, churn scoring runs' crossings into high risk, loyalty tier upgrades.

Each is a subscriber of the domain event that announces the fact (the durable jobs deliver it, again after
a crash); the instances it starts, the waits it ends and the goals it reaches commit in one transaction
with the record of the delivery, so a fact acts once. Nothing is read when no live journey, and no instance
still waiting, uses the trigger. Facts older than ``NEWS`` are history arriving — an import of past draws, a
scoring run backfilled for last year — not news: no player is told today that a ticket won a year ago.

Scale (issue #15, not built): each fact is handled player by player (a few statements each). A day's
birthdays (~55 000 at 2·10^7 players) take a minute; a draw's million winning tickets would take tens of
minutes in one transaction — the "your ticket won" fan-out needs a set-based start, like a campaign launch.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.analytics.churn.models import ChurnCrossing
from lottocrm.analytics.events import ChurnRiskCrossed
from lottocrm.events.delivery import EventContext
from lottocrm.ingest.events import WinsCommitted
from lottocrm.lake.schemas import UTC_TS
from lottocrm.lake.store import Lake
from lottocrm.loyalty.events import TierChanged
from lottocrm.loyalty.programme.tiers import rank_of
from lottocrm.marketing.journeys.models import Journey, JourneyVersion
from lottocrm.marketing.journeys.runner import happened, live_journeys, triggers_in_use
from lottocrm.players.calendar import anniversaries_on, birthdays_on
from lottocrm.players.events import CalendarDay
from lottocrm.settings import get_settings

NEWS = dt.timedelta(days=3)
WIN_COLUMNS = ["win_id", "ticket_id", "player_id", "game_id", "draw_id", "amount_kopecks", "won_at"]


def _act(
    session: Session,
    live: list[tuple[Journey, JourneyVersion]],
    facts: Iterable[tuple[int, str, dict[str, Any]]],
    *,
    wanted: set[str],
    at: dt.datetime,
) -> int:
    """Each (player, trigger, properties) whose trigger a journey uses; how many were acted on."""
    acted = 0
    for player_id, trigger, properties in facts:
        if trigger in wanted:
            happened(session, live, player_id=player_id, trigger=trigger, properties=properties, at=at)
            acted += 1
    return acted


def start_on_calendar(context: EventContext) -> None:
    """Subscriber of ``players.calendar_day``: the day's birthdays and registration anniversaries."""
    payload = context.payload
    assert isinstance(payload, CalendarDay)
    now = clock.now()
    if payload.day < clock.operator_day(now - NEWS):
        return
    with context.once() as session:
        live = live_journeys(session)
        wanted = triggers_in_use(session, live, {"birthday", "registration_anniversary"})
        facts: list[tuple[int, str, dict[str, Any]]] = []
        if "birthday" in wanted:
            facts += [(player, "birthday", {}) for player in session.scalars(birthdays_on(payload.day))]
        if "registration_anniversary" in wanted:
            facts += [
                (player, "registration_anniversary", {})
                for player in session.scalars(anniversaries_on(payload.day))
            ]
        _act(session, live, facts, wanted=wanted, at=now)


def start_on_churn_risk(context: EventContext) -> None:
    """Subscriber of ``analytics.churn_risk_crossed``: the players the run moved into high risk."""
    payload = context.payload
    assert isinstance(payload, ChurnRiskCrossed)
    now = clock.now()
    if payload.entered == 0 or payload.as_of < clock.operator_day(now - NEWS):
        return
    with context.once() as session:
        live = live_journeys(session)
        wanted = triggers_in_use(session, live, {"churn_risk_entered"})
        if not wanted:
            return
        entered = session.scalars(
            select(ChurnCrossing.player_id)
            .where(
                ChurnCrossing.as_of == payload.as_of,
                ChurnCrossing.model_version == payload.model_version,
                ChurnCrossing.direction == "entered",
            )
            .order_by(ChurnCrossing.player_id)
        ).all()
        _act(session, live, ((player, "churn_risk_entered", {}) for player in entered), wanted=wanted, at=now)


def start_on_tier_change(context: EventContext) -> None:
    """Subscriber of ``loyalty.tier_changed``: an upgrade (a higher rank than before) is a trigger."""
    payload = context.payload
    assert isinstance(payload, TierChanged)
    now = clock.now()
    if payload.player_id is None or context.event.occurred_at < now - NEWS:
        return
    with context.once() as session:
        live = live_journeys(session)
        wanted = triggers_in_use(session, live, {"tier_upgraded"})
        if not wanted or rank_of(session, payload.tier) <= rank_of(session, payload.previous_tier):
            return
        _act(
            session,
            live,
            [(payload.player_id, "tier_upgraded", {"tier": payload.tier})],
            wanted=wanted,
            at=now,
        )


def start_on_wins(context: EventContext) -> None:
    """Subscriber of ``ingest.wins_committed``: every win of a known player is a ``ticket_won`` and, for the
    journeys whose threshold it passes, a ``big_win``."""
    payload = context.payload
    assert isinstance(payload, WinsCommitted)
    now = clock.now()
    with context.once() as session:
        live = live_journeys(session)
        wanted = triggers_in_use(session, live, {"ticket_won", "big_win"})
        if not wanted:
            return
        facts = (
            (int(win["player_id"]), trigger, win)
            for win in _wins(Lake(get_settings().lake_path), payload, since=now - NEWS)
            for trigger in ("ticket_won", "big_win")
        )
        _act(session, live, facts, wanted=wanted, at=now)


def _wins(lake: Lake, payload: WinsCommitted, *, since: dt.datetime) -> Iterator[dict[str, Any]]:
    """The batch's wins of known players won ``since`` or later, in win order: from the batch's own files,
    or — a compaction having merged them since — the live files' rows in the batch's id range."""
    files = lake.batch_files("wins", payload.batch_id)
    in_batch = files is not None
    found = ds.dataset([str(path) for path in files or lake.files("wins")], format="parquet")
    condition = ds.field("player_id").is_valid() & (ds.field("won_at") >= pa.scalar(since, UTC_TS))
    if not in_batch:
        condition &= (ds.field("win_id") >= payload.first_id) & (ds.field("win_id") <= payload.last_id)
    table: pa.Table = found.to_table(columns=WIN_COLUMNS, filter=condition).sort_by("win_id")
    for batch in table.to_batches(max_chunksize=10_000):
        yield from batch.to_pylist()
