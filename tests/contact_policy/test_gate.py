"""The gate, one rule at a time: every rule has a player who breaks only that rule. ``decide`` (one player,
Python) and ``eligibility_select`` (everyone, SQL) must give each the same first reason."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from helpers.factories import IMPORT
from lottocrm import clock
from lottocrm.contact_policy import audience, selection, service
from lottocrm.contact_policy.document import DEFAULT_POLICY
from lottocrm.contact_policy.models import ContactTouch, UnreachablePoint
from lottocrm.db.engine import transaction
from lottocrm.players import consents
from lottocrm.players.models import ConsentEvent

# A Tuesday, 12:00 in Moscow: inside every default sending window.
AS_OF = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
BEFORE = AS_OF - dt.timedelta(days=30)
phones = (f"+7916{n:07d}" for n in itertools.count(1))


def _consent(
    session: Session,
    player_id: int,
    purpose: str,
    channel: str,
    *,
    granted: bool = True,
    at: dt.datetime = BEFORE,
) -> None:
    consents.record_consent(
        session,
        actor=IMPORT,
        player_id=player_id,
        purpose=purpose,
        channel=channel,
        granted=granted,
        source="website",
        notice_version="2025-01",
        occurred_at=at,
    )


# name → the reason the gate must give first for SMS marketing at AS_OF (None: may be sent).
EXPECTED = {
    "ok": None,
    "ok_returned_after_exclusion": None,
    "ok_turned_18_today": None,
    "ok_withdrew_then_granted_again": None,
    "ok_timeout_over": None,
    "ok_in_vladivostok": None,
    "blocked": "player_not_active",
    "flagged_under_age": "under_age",
    "seventeen": "under_age",
    "birth_date_unknown": "age_unknown",
    "self_excluded_through_today": "self_excluded",
    "exclusion_ended_no_return": "awaiting_return",
    "in_a_time_out": "timed_out",
    "spend_limit_reached": "spend_limit_reached",
    "personal_data_withdrawn_elsewhere": "no_personal_data_consent",
    "advertising_on_email_only": "consent_missing",
    "advertising_withdrawn": "consent_withdrawn",
    "no_phone": "no_contact_point",
    "phone_unreachable": "unreachable",
    "sms_cap_reached": "cap",
    "shared_phone_cap_reached": "cap",
}


@pytest.fixture(autouse=True)
def _the_world_is_at_as_of() -> Iterator[None]:
    # Facts are recorded "now" and the gate reads the ledgers from now back; the world of these tests is
    # the morning of AS_OF.
    with clock.frozen(AS_OF):
        yield


@pytest.fixture
def population(engine: Engine, make_player) -> dict[str, int]:  # type: ignore[no-untyped-def]
    players: dict[str, int] = {}
    with transaction(engine) as session:

        def consenting(  # type: ignore[no-untyped-def]
            name: str, *, phone: str | None = "new", consented_at: dt.datetime = BEFORE, **traits
        ) -> int:
            player = make_player(session, phone=next(phones) if phone == "new" else phone, **traits)
            _consent(session, player.id, "personal_data", "web", at=consented_at)
            if player.under_age or (player.birth_date and player.birth_date > dt.date(2008, 3, 10)):
                # The consent service refuses a minor's grant; these are as an old import left them.
                session.add(
                    ConsentEvent(
                        player_id=player.id,
                        purpose="advertising",
                        channel="sms",
                        granted=True,
                        occurred_at=consented_at,
                        source="import",
                        notice_version="2019-01",
                        recorded_at=consented_at,
                    )
                )
            else:
                _consent(session, player.id, "advertising", "sms", at=consented_at)
            players[name] = player.id
            return player.id

        day = AS_OF.date()
        consenting("ok")
        consenting(
            "ok_returned_after_exclusion",
            self_excluded_until=day - dt.timedelta(days=3),
            returned_at=AS_OF - dt.timedelta(days=1),
        )
        consenting(
            "ok_turned_18_today",
            birth_date=day.replace(year=day.year - 18),
            consented_at=AS_OF - dt.timedelta(hours=1),
        )
        again = consenting("ok_withdrew_then_granted_again")
        _consent(session, again, "advertising", "sms", granted=False, at=BEFORE + dt.timedelta(days=1))
        _consent(session, again, "advertising", "sms", at=BEFORE + dt.timedelta(days=2))
        consenting("ok_timeout_over", timeout_until=AS_OF - dt.timedelta(minutes=1))
        # 18:00 in Vladivostok: still inside the marketing window there.
        consenting("ok_in_vladivostok", region="RU-PRI")

        consenting("blocked", status="blocked")
        consenting("flagged_under_age", under_age=True)
        consenting("seventeen", birth_date=day.replace(year=day.year - 18) + dt.timedelta(days=1))
        consenting("birth_date_unknown", birth_date=None)
        consenting("self_excluded_through_today", self_excluded_until=day)
        consenting("exclusion_ended_no_return", self_excluded_until=day - dt.timedelta(days=1))
        consenting("in_a_time_out", timeout_until=AS_OF + dt.timedelta(hours=6))
        consenting("spend_limit_reached", limit_reached_until=dt.date(2026, 3, 31))
        elsewhere = consenting("personal_data_withdrawn_elsewhere")
        _consent(session, elsewhere, "personal_data", "call", granted=False, at=BEFORE + dt.timedelta(days=1))
        email_only = make_player(session, phone=next(phones))
        _consent(session, email_only.id, "personal_data", "web")
        _consent(session, email_only.id, "advertising", "email")
        players["advertising_on_email_only"] = email_only.id
        withdrew = consenting("advertising_withdrawn")
        _consent(session, withdrew, "advertising", "sms", granted=False, at=BEFORE + dt.timedelta(days=1))
        consenting("no_phone", phone=None)
        unreachable_phone = next(phones)
        consenting("phone_unreachable", phone=unreachable_phone)
        session.add(
            UnreachablePoint(
                contact_point=unreachable_phone, channel="sms", reason="undeliverable", since=BEFORE
            )
        )
        capped = consenting("sms_cap_reached")
        # One SMS in the last 24 h: the default cap is one a day.
        session.add(
            ContactTouch(
                player_id=capped,
                channel="sms",
                contact_point="+79990000000",
                at=AS_OF - dt.timedelta(hours=3),
            )
        )
        shared = next(phones)
        consenting("shared_phone_cap_reached", phone=shared)
        other = make_player(session)
        session.add_all(
            ContactTouch(
                player_id=other.id, channel="sms", contact_point=shared, at=AS_OF - dt.timedelta(days=n)
            )
            for n in (2, 3, 4)
        )
    return players


def test_each_player_is_stopped_by_their_own_rule_only(engine: Engine, population: dict[str, int]) -> None:
    with transaction(engine) as session:
        for name, player_id in population.items():
            decision = service.decide(
                session, player_id=player_id, channel="sms", message_class="marketing", at=AS_OF
            )
            assert decision.blocked_by == EXPECTED[name], (name, decision.reasons)
            assert (decision.permit is not None) == (EXPECTED[name] is None), name


def test_the_selection_gives_the_same_first_reason(engine: Engine, population: dict[str, int]) -> None:
    query = selection.eligibility_select(
        channel="sms", message_class="marketing", at=AS_OF, policy=DEFAULT_POLICY
    )
    with transaction(engine) as session:
        rows = {row.player_id: row for row in session.execute(query)}
    named = {player_id: name for name, player_id in population.items()}
    for player_id, name in named.items():
        assert rows[player_id].blocked_by == EXPECTED[name], name
    eligible = select(
        selection.eligible_select(channel="sms", message_class="marketing", at=AS_OF, policy=DEFAULT_POLICY)
        .subquery()
        .c.player_id
    )
    with transaction(engine) as session:
        chosen = sorted(named[player_id] for player_id in session.scalars(eligible) if player_id in named)
    assert chosen == sorted(name for name, reason in EXPECTED.items() if reason is None)


@pytest.mark.parametrize("at", [AS_OF, dt.datetime(2026, 3, 10, 20, 30, tzinfo=dt.UTC)], ids=["noon", "late"])
def test_an_audiences_permits_are_the_ones_decide_gives(
    engine: Engine, population: dict[str, int], at: dt.datetime
) -> None:
    """The bulk path a campaign takes: the same players, the same consent row cited, the same hold."""
    ids = sorted(population.values())
    with transaction(engine) as session:
        bulk = {
            permit.player_id: permit
            for permit in audience.issue_permits(
                session,
                player_ids=ids,
                channel="sms",
                message_class="marketing",
                source_kind="campaign",
                source_id="march",
                at=at,
            )
        }
        one_by_one = {
            player_id: decision.permit
            for player_id in ids
            if (
                decision := service.decide(
                    session,
                    player_id=player_id,
                    channel="sms",
                    message_class="marketing",
                    at=at,
                    source_kind="campaign",
                    source_id="march",
                )
            ).permit
            is not None
        }
    assert bulk.keys() == one_by_one.keys() and bulk
    for player_id, permit in bulk.items():
        expected = one_by_one[player_id]
        assert (permit.contact_point, permit.consent_event_id) == (
            expected.contact_point,
            expected.consent_event_id,
        )
        # Both spread the release inside the same window; the bulk one keys it by player as decide does.
        assert permit.not_before == expected.not_before, player_id


def test_service_messages_pass_marketing_stops(engine: Engine, population: dict[str, int]) -> None:
    """A win notice reaches a self-excluded or under-age player; it still needs a phone that works."""
    with transaction(engine) as session:
        for name in ("self_excluded_through_today", "seventeen", "advertising_withdrawn", "no_phone"):
            decision = service.decide(
                session, player_id=population[name], channel="sms", message_class="service", at=AS_OF
            )
            assert decision.blocked_by == ("no_contact_point" if name == "no_phone" else None), name


def test_quiet_hours_hold_marketing_until_morning_in_the_players_own_zone(
    engine: Engine, population: dict[str, int]
) -> None:
    # 23:30 Moscow time is 06:30 the next day in Vladivostok: both outside 09:00–21:00.
    late = dt.datetime(2026, 3, 10, 20, 30, tzinfo=dt.UTC)
    with transaction(engine) as session:
        moscow = service.decide(
            session, player_id=population["ok"], channel="sms", message_class="marketing", at=late
        )
        far_east = service.decide(
            session,
            player_id=population["ok_in_vladivostok"],
            channel="sms",
            message_class="marketing",
            at=late,
        )
        email = service.decide(
            session, player_id=population["ok"], channel="email", message_class="marketing", at=late
        )
    moscow_morning = dt.datetime(2026, 3, 11, 9, 0, tzinfo=clock.zone_named("Europe/Moscow"))
    assert moscow.allowed and moscow_morning <= moscow.held_until < moscow_morning + dt.timedelta(hours=1)
    vladivostok_morning = dt.datetime(2026, 3, 11, 9, 0, tzinfo=clock.zone_named("Asia/Vladivostok"))
    assert vladivostok_morning <= far_east.held_until < vladivostok_morning + dt.timedelta(hours=1)
    assert far_east.permit is not None and far_east.permit.not_before == far_east.held_until
    # E-mail has no quiet hours by default; and "ok" gave no e-mail consent, so it is blocked instead.
    assert email.blocked_by == "consent_missing"


def test_bad_requests_are_refused_clearly(engine: Engine) -> None:
    with transaction(engine) as session:
        with pytest.raises(service.ContactPolicyError, match="unknown channel 'fax'"):
            service.decide(session, player_id=1, channel="fax", message_class="marketing")
        with pytest.raises(service.ContactPolicyError, match="unknown message class 'spam'"):
            service.decide(session, player_id=1, channel="sms", message_class="spam")
        with pytest.raises(service.UnknownPlayer, match="no player with id 424242"):
            service.decide(session, player_id=424242, channel="sms", message_class="marketing")
        with pytest.raises(service.ContactPolicyError, match="time zone"):
            service.decide(
                session, player_id=1, channel="sms", message_class="marketing", at=dt.datetime(2026, 1, 1)
            )  # noqa: DTZ001


def test_a_permit_cannot_be_made_outside_the_gate() -> None:
    from lottocrm.contact_policy.permits import Permit, PermitForged

    with pytest.raises(PermitForged):
        Permit(
            player_id=1,
            channel="sms",
            message_class="marketing",
            contact_point="+79160000001",
            source_kind="campaign",
            source_id="1",
            policy_version=0,
            consent_event_id=None,
            issued_at=AS_OF,
        )
