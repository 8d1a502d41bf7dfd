"""A simulated year of cases worked through the real services, on SQLite and PostgreSQL: after every
contact and change of state, each running timer's stored due time equals the minute-by-minute oracle's,
computed from the state history the services wrote (helpers/sla_oracle.py)."""

from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import Engine, select

from helpers import sla_oracle as oracle
from lottocrm import clock
from lottocrm.audit.service import Actor
from lottocrm.contact_centre.cases import service as cases
from lottocrm.contact_centre.cases.models import Case, CaseState, CaseStateChange
from lottocrm.contact_centre.interactions import service as interactions
from lottocrm.contact_centre.sla.calendar import epoch
from lottocrm.contact_centre.sla.hours import WeekHours
from lottocrm.contact_centre.sla.models import SlaPolicy
from lottocrm.contact_centre.sla.production import production_calendar_for
from lottocrm.contact_centre.teams.models import Team
from lottocrm.db.engine import transaction

ACTOR = Actor("user:operator")
YEAR_START = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
STATES = ("open", "pending_reminder", "pending_close", "solved", "closed")
CONTACTS = (("email", "inbound"), ("email", "outbound"), ("call", "inbound"), ("sms", "inbound"))


def _act(
    engine: Engine, rng: random.Random, case_id: int, player_id: int, at: dt.datetime
) -> tuple[str, str] | None:
    """A random change of state or contact at ``at``; the contact logged, if one was."""
    with clock.frozen(at), transaction(engine) as session:
        if rng.random() < 0.45:
            state = rng.choice(STATES)
            current = session.get(Case, case_id).state  # type: ignore[union-attr]
            if current == "closed" or state == current:
                return None
            reminder = at + dt.timedelta(days=1) if state == "pending_reminder" else None
            cases.change_state(session, actor=ACTOR, case_id=case_id, state=state, reminder_at=reminder)
            return None
        if session.get(Case, case_id).state == "closed":  # type: ignore[union-attr]
            return None
        channel, direction = rng.choice(CONTACTS)
        interactions.log_interaction(
            session,
            actor=ACTOR,
            player_id=player_id,
            channel=channel,
            direction=direction,
            queue="payouts",
            operator="operator",
            started_at=at,
            case_id=case_id,
        )
        return channel, direction


def _expected_facts(contacts: list[tuple[dt.datetime, str, str]]) -> tuple[dt.datetime | None, ...]:
    """The facts by their definition: the first reply is the first outbound contact or inbound call; the
    player awaits an update from their oldest e-mail or SMS not yet followed by a reply."""
    replies = [at for at, channel, direction in contacts if direction == "outbound" or channel == "call"]
    first_reply = replies[0] if replies else None
    awaiting = answered = None
    for at, channel, direction in contacts:
        reply = direction == "outbound" or channel == "call"
        if direction == "inbound" and (awaiting is None or answered is not None):
            awaiting, answered = at, None
        if reply and awaiting is not None and answered is None:
            answered = at
    return first_reply, awaiting, answered


def _check(engine: Engine, case_id: int) -> int:
    """Compare every running timer of the case with the oracle; returns how many were compared."""
    with transaction(engine) as session:
        case = session.get(Case, case_id)
        assert case is not None
        team = session.get(Team, case.team_id)
        policy = session.scalar(
            select(SlaPolicy).where(
                SlaPolicy.case_type == case.case_type, SlaPolicy.priority == case.priority
            )
        )
        pausing = frozenset(session.scalars(select(CaseState.code).where(CaseState.pauses_sla.is_(True))))
        history = [
            (epoch(at), state)
            for at, state in session.execute(
                select(CaseStateChange.at, CaseStateChange.to_state)
                .where(CaseStateChange.case_id == case_id)
                .order_by(CaseStateChange.at, CaseStateChange.id)
            )
        ]
    assert team is not None and policy is not None
    zone, hours = clock.zone_named(team.timezone), WeekHours.parse(team.hours)
    rules = production_calendar_for(range(2024, 2028))
    running = []
    if case.first_response_at is None:
        running.append((case.first_response_due_at, case.created_at, policy.first_response_minutes))
    if case.awaiting_since is not None and case.answered_at is None and case.solved_at is None:
        running.append((case.update_due_at, case.awaiting_since, policy.update_minutes))
    if case.solved_at is None:
        running.append((case.resolution_due_at, case.created_at, policy.resolution_minutes))
    for stored, start, minutes in running:
        expected = oracle.deadline(zone, hours, rules, history, epoch(start), minutes, pausing)
        assert (epoch(stored) if stored else None) == expected, (case_id, history, start, minutes)
    return len(running)


def test_a_year_of_cases_agrees_with_the_minute_by_minute_oracle(engine: Engine, make_player) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(2026)
    with transaction(engine) as session:
        player_id = make_player(session).id
    compared = 0
    for _ in range(4):
        opened = YEAR_START + dt.timedelta(minutes=rng.randrange(360 * 1440))
        with clock.frozen(opened), transaction(engine) as session:
            case_id = cases.open_case(
                session,
                actor=ACTOR,
                player_id=player_id,
                case_type="payout_delayed",
                subject="Задержка выплаты",
                priority="low",
                team="payouts",
            ).id
        at, contacts = opened, []
        for _ in range(14):
            at += dt.timedelta(minutes=rng.randrange(1, 16 * 60))
            contact = _act(engine, rng, case_id, player_id, at)
            if contact is not None:
                contacts.append((at, *contact))
            compared += _check(engine, case_id)
            with transaction(engine) as session:
                case = session.get(Case, case_id)
                assert case is not None
                facts = (case.first_response_at, case.awaiting_since, case.answered_at)
            assert facts == _expected_facts(contacts)
    assert compared > 30
