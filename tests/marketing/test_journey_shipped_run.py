"""The shipped journeys end to end, as an operator runs them: installed by the marketer, put live by the
approver, started by the facts as they arrive in production — a draw's wins loaded into the lake, the
website's registrations, the day's birthdays — delivered by the durable jobs, woken when their waits end,
and sent by the dispatcher through the local SMPP and SMTP gateways, which record what they received."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter

import pyarrow as pa
import pytest
from sqlalchemy import Engine, select

from lottocrm import clock
from lottocrm.db.engine import transaction
from lottocrm.events.delivery import worker_registry
from lottocrm.events.outbox import emit
from lottocrm.ingest.events import WinsCommitted
from lottocrm.jobs.worker import Worker
from lottocrm.lake.store import Lake
from lottocrm.loyalty.ledger.accounts import balance_of, member_account
from lottocrm.marketing.journeys import library, live, results, runner
from lottocrm.marketing.journeys.models import JourneyInstance
from lottocrm.messaging.call_list.models import CallTask
from lottocrm.messaging.call_list.transport import CallListTransport
from lottocrm.messaging.gateways.local import LocalGateways
from lottocrm.messaging.models import Message
from lottocrm.messaging.sandbox import SandboxMessage, SandboxRecorder
from lottocrm.messaging.sender import Sender
from lottocrm.player_events import service as player_events
from lottocrm.players.events import CalendarDay
from lottocrm.players.models import Player
from lottocrm.settings import Settings
from marketing.campaigns.helpers import APPROVER, AUTHOR

AS_OF = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)  # noon in Moscow
SHIPPED = ("ticket_won", "big_win", "welcome_first_purchase", "birthday")


def _deliver(engine: Engine) -> None:
    Worker(engine, worker_registry(), poll_interval=0.02, lease=dt.timedelta(seconds=5)).run(once=True)


def _dispatch(engine: Engine) -> int:
    async def run() -> int:
        recorder = SandboxRecorder(engine, interval=0.05)
        gateways = LocalGateways(recorder)
        await gateways.start()
        try:
            # Calls go to the operators' own queue, as `lottocrm dispatch` wires them.
            async with Sender(engine, {**gateways.transports(), "call": CallListTransport(engine)}) as sender:
                reports = await sender.drain()
                return sum(report.sent for report in reports.values())
        finally:
            await gateways.stop()
            recorder.close()

    return asyncio.run(run())


def _wins(lake: Lake, winners: dict[int, int]) -> None:
    lake.append(
        "wins",
        pa.table(
            {
                "win_id": list(range(1, len(winners) + 1)),
                "ticket_id": [1000 + i for i in range(len(winners))],
                "player_id": list(winners),
                "game_id": [1] * len(winners),
                "draw_id": [77] * len(winners),
                "prize_tier": [2] * len(winners),
                "amount_kopecks": list(winners.values()),
                "won_at": [AS_OF] * len(winners),
                "claimed": [False] * len(winners),
                "claimed_at": [None] * len(winners),
            }
        ),
        batch_id="draw-77-wins",
    )


@pytest.mark.slow
def test_the_shipped_journeys_run_from_the_facts_to_the_gateways(
    engine: Engine, contactable, settings: Settings
) -> None:  # type: ignore[no-untyped-def]
    with clock.frozen(AS_OF) as frozen:
        journeys = {}
        for code in SHIPPED:
            with transaction(engine) as session:
                version = library.install(session, actor=AUTHOR, code=code)
                live.go_live(
                    session, actor=APPROVER, journey_id=version.journey_id, version=1, move_instances=False
                )
                journeys[code] = version.journey_id
        players = contactable(40)
        winners = {p: 50_000 for p in players[:3]} | {players[3]: 25_000_000}
        newcomers, celebrant = players[4:39], players[39]
        with transaction(engine) as session:
            session.get(Player, celebrant).birth_date = dt.date(1990, 3, 10)
            account = member_account(session, celebrant)
        _wins(Lake(settings.lake_path), winners)
        registrations = [
            {
                "id": f"reg-{p}",
                "type": "registration",
                "channel": "app",
                "occurred_at": AS_OF.isoformat(),
                "player_id": p,
            }
            for p in newcomers
        ]
        with transaction(engine) as session:
            emit(
                session,
                WinsCommitted(
                    batch_id="draw-77-wins",
                    rows=4,
                    first_id=1,
                    last_id=4,
                    players_touched=4,
                    player_ids=sorted(winners),
                ),
            )
            emit(session, CalendarDay(day=AS_OF.date(), birthdays=1, anniversaries=0))
            player_events.accept(session, registrations, source="app", now=AS_OF)
        _deliver(engine)
        # Win notices go at once; the birthday waits for 10:00 tomorrow in Moscow, the welcome for three days.
        assert _dispatch(engine) >= 5
        frozen.set(AS_OF + dt.timedelta(days=3, hours=1))
        with transaction(engine) as session:
            runner.wake_due(session, at=clock.now())
        frozen.set(AS_OF + dt.timedelta(days=4))  # 10:00 of the next morning in Moscow has passed
        with transaction(engine) as session:
            runner.wake_due(session, at=clock.now())
        _dispatch(engine)

        with transaction(engine) as session:
            received = Counter(
                (message.source_id, message.channel)
                for message in session.scalars(
                    select(Message).where(Message.status.in_(("sent", "delivered")))
                )
            )
            arrivals = session.scalars(select(SandboxMessage)).all()
            instances = Counter((i.journey_id, i.arm) for i in session.scalars(select(JourneyInstance)))
            calls = session.scalars(select(CallTask)).all()
            assert balance_of(session, account) == 200
            welcome = results.results(session, journey_id=journeys["welcome_first_purchase"], at=clock.now())
    # Every winning ticket was told (service messages: SMS first where there is no app), the big win too,
    # with a call for the VIP desk; the birthday greeting went out; every treated newcomer was nudged.
    assert received[str(journeys["ticket_won"]), "sms"] == 4
    assert received[str(journeys["big_win"]), "email"] == 1 and [c.player_id for c in calls] == [players[3]]
    assert received[str(journeys["birthday"]), "email"] == 1
    treated = instances[journeys["welcome_first_purchase"], "treated"]
    assert treated + instances[journeys["welcome_first_purchase"], "control"] == len(newcomers)
    assert received[str(journeys["welcome_first_purchase"]), "email"] == treated > 0
    assert len(arrivals) == sum(n for (_, channel), n in received.items() if channel != "call")
    counts = {(s.step, s.outcome): s.instances for s in welcome.steps}
    assert counts[("nudge", "sent:email")] == treated and counts[("code", "given")] == treated
