"""Loyalty's events: points earned, points redeemed and tier changes are queued for every subscriber in the
transaction that makes them, and each payload validates against the catalogue.

On PostgreSQL the till's redemption routes are answered by server-side functions that cannot emit; the fast
path lets a route through to the Python services while a subscriber listens to what that route announces.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from lottocrm import domains
from lottocrm.db.engine import transaction
from lottocrm.events.catalog import read_payload
from lottocrm.events.model import DomainEvent, EventPayload
from lottocrm.jobs.models import Job
from lottocrm.loyalty.events import PointsEarned, PointsRedeemed, TierChanged
from lottocrm.loyalty.programme import earn_rules, earning, redemption, tiers
from lottocrm.loyalty.till.fastpath import ANNOUNCES
from lottocrm.manifest import Domain, Subscriber
from loyalty.factories import STAFF, Card, TillPartner, member, utcnow
from loyalty.round_trips import round_trips

LOYALTY_EVENTS = (PointsEarned.name, PointsRedeemed.name, TierChanged.name)


def never_run(_context: object) -> None:
    raise AssertionError("no worker runs in these tests: the jobs are only counted")


def listen(monkeypatch: pytest.MonkeyPatch, *events: str) -> None:
    """Install a test domain with one subscriber per event, wired as a real domain's would be."""
    subscribers = tuple(Subscriber(f"test.on:{name}", name, f"{__name__}:never_run") for name in events)
    monkeypatch.setattr(
        domains, "INSTALLED", (*domains.INSTALLED, Domain(name="test", subscribers=subscribers))
    )


def announced(engine: Engine, after: int = 0) -> list[tuple[str, EventPayload, DomainEvent]]:
    """(event name, typed payload, envelope) of each event whose test subscriber's job was queued after job id
    ``after`` (other domains' subscribers to the same events have jobs of their own)."""
    with transaction(engine) as session:
        payloads = (
            session.execute(
                select(Job.payload).where(Job.id > after, Job.kind.startswith("test.on:")).order_by(Job.id)
            )
            .scalars()
            .all()
        )
    envelopes = [DomainEvent.model_validate(payload) for payload in payloads]
    return [(envelope.name, read_payload(envelope), envelope) for envelope in envelopes]


def last_job_id(engine: Engine) -> int:
    with transaction(engine) as session:
        return max(session.execute(select(Job.id)).scalars().all(), default=0)


def call(client: TestClient, partner: TillPartner, path: str, body: object, key: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"X-Api-Key": partner.key, "Idempotency-Key": key or uuid.uuid4().hex}
    response = client.post(f"/api/v1/loyalty{path}", json=body, headers=headers)
    assert response.status_code == 200, response.text
    return response


def test_a_capture_is_announced_once_to_a_subscriber(
    client: TestClient, card: Card, shop: TillPartner, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    listen(monkeypatch, PointsRedeemed.name)
    with round_trips() as authorize_sent:
        hold = call(client, shop, "/till/authorize", {"card_number": card.number, "points": 500}).json()
    capture = f"/till/holds/{hold['hold_id']}/capture"
    with round_trips() as capture_sent:
        captured = call(client, shop, capture, {"points": 400}, key="capture-1")
    replayed = call(client, shop, capture, {"points": 400}, key="capture-1")
    assert replayed.headers["Idempotent-Replayed"] == "true" and replayed.content == captured.content

    [(name, payload, envelope)] = announced(engine)
    assert name == PointsRedeemed.name and envelope.player_id == card.player_id
    assert payload == PointsRedeemed(
        player_id=card.player_id,
        account_id=card.account_id,
        operation_id=payload.operation_id,  # type: ignore[attr-defined]
        hold_id=hold["hold_id"],
        points=400,
        partner_id=shop.id,
    )
    if engine.dialect.name == "postgresql":
        # The capture left the fast path for the services that announce it; the authorize did not need to.
        assert not any("loyalty_till_capture" in sql for trip in capture_sent for sql in trip)
        assert [len(trip) for trip in authorize_sent] == [1] and "loyalty_till_authorize" in authorize_sent[
            0
        ][0]


def test_with_no_subscriber_the_fast_path_answers_and_nothing_is_queued(
    client: TestClient, card: Card, shop: TillPartner, engine: Engine
) -> None:
    hold = call(client, shop, "/till/authorize", {"card_number": card.number, "points": 5}).json()
    with round_trips() as capture_sent:
        call(client, shop, f"/till/holds/{hold['hold_id']}/capture", {})
    if engine.dialect.name == "postgresql":
        assert [len(trip) for trip in capture_sent] == [1] and "loyalty_till_capture" in capture_sent[0][0]
    assert announced(engine) == []


def test_the_fast_path_steps_aside_for_exactly_what_each_route_announces(
    engine: Engine, card: Card, shop: TillPartner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The services behind each redemption route, with every loyalty event listened to: what they announce
    must be what ``fastpath.ANNOUNCES`` says, or a listener would miss what the till functions answered."""
    listen(monkeypatch, *LOYALTY_EVENTS)
    now = utcnow()

    def names_after(act) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
        before = last_job_id(engine)
        with transaction(engine) as session:
            act(session)
        return tuple(name for name, _payload, _envelope in announced(engine, before))

    holds: list[int] = []

    def authorize(session) -> None:  # type: ignore[no-untyped-def]
        hold = redemption.authorize(
            session, member=member(session, card), partner_id=shop.id, points=10, now=now
        )
        holds.append(hold.hold_id)

    seen = {"authorize": names_after(authorize)}
    names_after(authorize)
    seen["capture"] = names_after(
        lambda session: redemption.capture(session, hold_id=holds[0], partner_id=shop.id, points=6, now=now)
    )
    seen["void"] = names_after(
        lambda session: redemption.void(session, hold_id=holds[1], partner_id=shop.id, now=now)
    )
    seen["refund"] = names_after(
        lambda session: redemption.refund(session, hold_id=holds[0], partner_id=shop.id, points=2, now=now)
    )
    assert seen == ANNOUNCES


def test_points_earned_at_a_till_for_a_ticket_and_as_a_welcome_bonus(
    client: TestClient, card: Card, shop: TillPartner, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    listen(monkeypatch, PointsEarned.name)
    earned = call(
        client, shop, "/till/earn", {"card_number": card.number, "purchase_kopecks": 250_000}
    ).json()
    ticket = earning.Ticket(
        ticket_id=77, game_id=1, draw_id=None, channel="app", price_kopecks=100_000, sold_at=utcnow()
    )
    with transaction(engine) as session:
        by_ticket = earning.earn_for_ticket(session, account_id=card.account_id, ticket=ticket, now=utcnow())
        assert (
            earning.earn_for_ticket(session, account_id=card.account_id, ticket=ticket, now=utcnow()) is None
        )
        earn_rules.add_rule(session, actor=STAFF, name="welcome", kind="welcome_bonus", bonus_points=150)
        bonus = earning.grant_welcome_bonus(session, account_id=card.account_id, now=utcnow())
        # A purchase a daily cap cuts to nothing credits no points, so it is not announced.
        earn_rules.add_rule(session, actor=STAFF, name="no more today", kind="daily_cap", cap_points=0)
    assert (
        call(client, shop, "/till/earn", {"card_number": card.number, "purchase_kopecks": 9_900}).json()[
            "points"
        ]
        == 0
    )

    assert by_ticket is not None and bonus is not None
    payloads = [payload for _name, payload, _envelope in announced(engine)]
    common = {"player_id": card.player_id, "account_id": card.account_id}
    assert payloads == [
        PointsEarned(
            **common, operation_id=earned["operation_id"], kind="earn", points=25, partner_id=shop.id
        ),
        PointsEarned(**common, operation_id=by_ticket.operation_id, kind="earn", points=10, partner_id=None),
        PointsEarned(
            **common, operation_id=bonus.operation_id, kind="welcome_bonus", points=150, partner_id=None
        ),
    ]


def test_tier_changes_are_announced_on_upgrade_and_on_requalification(
    engine: Engine, card: Card, shop: TillPartner, monkeypatch: pytest.MonkeyPatch
) -> None:
    listen(monkeypatch, TierChanged.name)
    bought = utcnow() - dt.timedelta(days=300)
    with transaction(engine) as session:
        tiers.ensure_default_tiers(session, actor=STAFF)
        earning.earn_at_partner(
            session, member=member(session, card), partner_id=shop.id, spend_kopecks=2_500_000, now=bought
        )
    with transaction(engine) as session:
        tiers.requalify(session, account_id=card.account_id, now=utcnow())  # still silver: nothing to say
        tiers.requalify(session, account_id=card.account_id, now=utcnow() + dt.timedelta(days=100))
    changes = [(payload.previous_tier, payload.tier) for _name, payload, _envelope in announced(engine)]  # type: ignore[attr-defined]
    assert changes == [(None, "silver"), ("silver", "bronze")]
