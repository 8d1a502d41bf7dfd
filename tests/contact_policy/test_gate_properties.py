"""Property tests over generated histories: consents granted and withdrawn (ties included), self-exclusions
and returns, time-outs, spending limits, birthdays around 18, eleven time zones, holidays, caps.

For every generated player and moment: ``decide`` and ``eligibility_select`` give the same first reason;
no marketing is permitted to a player an independent oracle (written here from the rules' text, not from
the code) says must not get it; and no permitted marketing message is released inside quiet hours.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete

from helpers.month_population import REGIONS  # eleven zones, UTC+2 to UTC+12
from lottocrm import clock
from lottocrm.contact_policy import selection, service
from lottocrm.contact_policy.document import DEFAULT_POLICY, WINDOWS
from lottocrm.contact_policy.models import ContactTouch
from lottocrm.contact_policy.rules import is_day_off, player_zone
from lottocrm.db.engine import transaction
from lottocrm.players.models import ConsentEvent, Player, PlayerIdentity, ResponsibleGaming

# A week around the May holidays of 2026 (1 May a Friday, 9 May a Saturday, 11 May a day off in lieu).
START = dt.datetime(2026, 4, 28, 0, 0, tzinfo=dt.UTC)
CHANNELS = ("sms", "email", "push")


@dataclass
class Generated:
    region: str
    status: str
    under_age: bool
    age_days_from_18: int | None  # None: birth date unknown; < 0: a minor at START's day
    excluded_days: int | None  # self-exclusion end relative to the moment's day
    returned: bool
    timeout_hours: int | None
    limit_days: int | None
    consents: list[tuple[str, str, bool, int]] = field(
        default_factory=list
    )  # purpose, channel, granted, hours before
    has_phone: bool = True
    touches: list[tuple[str, int]] = field(default_factory=list)  # channel, hours before


players = st.builds(
    Generated,
    region=st.sampled_from(REGIONS),
    status=st.sampled_from(("active", "active", "active", "blocked")),
    # Weighted towards players every check lets through, so that the later checks (consent, contact
    # point, caps) are reached, not only the first ones.
    under_age=st.sampled_from((False, False, False, True)),
    age_days_from_18=st.one_of(*[st.integers(400, 20_000)] * 3, st.none(), st.integers(-3, 3)),
    excluded_days=st.one_of(*[st.none()] * 3, st.integers(-3, 3)),
    returned=st.booleans(),
    timeout_hours=st.one_of(*[st.none()] * 3, st.integers(-5, 5)),
    limit_days=st.one_of(*[st.none()] * 3, st.integers(-2, 2)),
    consents=st.lists(
        st.tuples(
            st.sampled_from(("personal_data", "advertising", "advertising")),
            st.sampled_from(CHANNELS + ("web",)),
            st.sampled_from((True, True, True, False)),
            st.sampled_from((1, 2, 2, 48, 400)),
        ),
        min_size=1,
        max_size=8,
    ),
    has_phone=st.booleans() | st.just(True),
    touches=st.lists(st.tuples(st.sampled_from(CHANNELS), st.integers(1, 24 * 31)), max_size=8),
)


def _oracle_may_market(g: Generated, channel: str, at: dt.datetime, player: Player) -> bool:
    """The rules as the issue states them, computed from the generated history alone."""
    day = clock.operator_day(at)
    if g.status != "active" or g.under_age or player.birth_date is None:
        return False
    if channel == "sms" and not g.has_phone:
        return False
    # The 18th birthday; born on 29 February, 1 March in a common year.
    born = player.birth_date
    leap_day = born.month == 2 and born.day == 29
    adult_from = dt.date(born.year + 18, 3, 1) if leap_day else dt.date(born.year + 18, born.month, born.day)
    if day < adult_from:
        return False
    if g.excluded_days is not None and (g.excluded_days >= 0 or not g.returned):
        return False
    if g.timeout_hours is not None and g.timeout_hours > 0:
        return False
    if g.limit_days is not None and g.limit_days >= 0:
        return False

    def latest(purpose: str, on: str | None) -> bool | None:
        # Later occurred_at wins; at the same moment the one recorded later wins.
        events = [
            (-hours, n, granted)
            for n, (p, c, granted, hours) in enumerate(g.consents)
            if p == purpose and (on is None or c == on)
        ]
        return max(events)[2] if events else None

    return latest("personal_data", None) is True and latest("advertising", channel) is True


def _oracle_capped(g: Generated, channel: str, at: dt.datetime) -> bool:
    """A cap of the default policy reached: the generated touches counted window by window (each player
    has their own addresses here, so per-address and per-player counts differ only by channel)."""
    for rule in DEFAULT_POLICY.caps_for(channel, "marketing"):
        since = at - WINDOWS[rule.window]
        counted = [
            hours
            for touched, hours in g.touches
            if at - dt.timedelta(hours=hours) >= since
            and (touched == channel if rule.per == "contact_point" or rule.channel != "all" else True)
        ]
        if len(counted) >= rule.limit:
            return True
    return False


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(population=st.lists(players, min_size=1, max_size=6), offset_minutes=st.integers(0, 7 * 24 * 60))
def test_the_gate_and_the_selection_agree_and_obey_the_rules(
    engine: Engine, population, offset_minutes
) -> None:  # type: ignore[no-untyped-def]
    at = START + dt.timedelta(minutes=offset_minutes)
    # The world of the example is at ``at``: facts are recorded then, the ledgers read back from it.
    with clock.frozen(at):
        day = clock.operator_day(at)
        with transaction(engine) as session:
            for table in (ContactTouch, ConsentEvent, PlayerIdentity, ResponsibleGaming, Player):
                session.execute(delete(table))
        made: dict[int, tuple[Generated, Player]] = {}
        with transaction(engine) as session:
            for player_id, g in enumerate(population, start=1):
                if g.age_days_from_18 is None:
                    birth = None
                else:
                    eighteen = day - dt.timedelta(days=g.age_days_from_18)
                    birth = (
                        eighteen.replace(year=eighteen.year - 18)
                        if not (eighteen.month == 2 and eighteen.day == 29)
                        else dt.date(eighteen.year - 18, 2, 28)
                    )
                player = Player(
                    id=player_id,
                    last_name="Тестов",
                    first_name="Тест",
                    search_name="тестов тест",
                    birth_date=birth,
                    region=g.region,
                    registered_at=START - dt.timedelta(days=500),
                    registration_channel="website",
                    age_verified=True,
                    under_age=g.under_age,
                    status=g.status,
                    created_at=START - dt.timedelta(days=500),
                )
                session.add(player)
                session.flush()
                if any(v is not None for v in (g.excluded_days, g.timeout_hours, g.limit_days)):
                    session.add(
                        ResponsibleGaming(
                            player_id=player_id,
                            self_excluded_until=day + dt.timedelta(days=g.excluded_days)
                            if g.excluded_days is not None
                            else None,
                            returned_at=at - dt.timedelta(hours=1)
                            if g.returned and g.excluded_days is not None
                            else None,
                            timeout_until=at + dt.timedelta(hours=g.timeout_hours)
                            if g.timeout_hours is not None
                            else None,
                            limit_reached_until=day + dt.timedelta(days=g.limit_days)
                            if g.limit_days is not None
                            else None,
                            flags=[],
                            updated_at=START,
                        )
                    )
                points = {
                    "phone": f"+7900{player_id:07d}",
                    "email": f"t{player_id}@example.ru",
                    "device": f"d{player_id}",
                }
                for kind, value in points.items():
                    if kind != "phone" or g.has_phone:
                        session.add(
                            PlayerIdentity(
                                player_id=player_id, kind=kind, value=value, verified=True, created_at=START
                            )
                        )
                for purpose, channel, granted, hours in g.consents:
                    moment = at - dt.timedelta(hours=hours)
                    session.add(
                        ConsentEvent(
                            player_id=player_id,
                            purpose=purpose,
                            channel=channel,
                            granted=granted,
                            occurred_at=moment,
                            source="import",
                            notice_version="v1",
                            recorded_at=moment,
                        )
                    )
                    session.flush()  # ids in the order recorded: the tie-break
                for channel, hours in g.touches:
                    kind = {"sms": "phone", "email": "email", "push": "device"}[channel]
                    session.add(
                        ContactTouch(
                            player_id=player_id,
                            channel=channel,
                            contact_point=points[kind],
                            at=at - dt.timedelta(hours=hours),
                        )
                    )
                made[player_id] = (g, player)

        for channel in CHANNELS:
            query = selection.eligibility_select(
                channel=channel, message_class="marketing", at=at, policy=DEFAULT_POLICY
            )
            with transaction(engine) as session:
                selected = {row.player_id: row.blocked_by for row in session.execute(query)}
                for player_id, (g, player) in made.items():
                    decision = service.decide(
                        session, player_id=player_id, channel=channel, message_class="marketing", at=at
                    )
                    assert decision.blocked_by == selected[player_id], (channel, g, decision.reasons)
                    may_market = _oracle_may_market(g, channel, at, player)
                    # Both ways: nothing the rules forbid goes, nothing they allow is stopped (but by a cap).
                    capped = may_market and _oracle_capped(g, channel, at)
                    assert decision.allowed == (may_market and not capped), (
                        channel,
                        g,
                        decision.reasons,
                    )
                    assert decision.allowed or not may_market or decision.blocked_by == "cap", (
                        channel,
                        g,
                        decision.reasons,
                    )
                    if decision.allowed:
                        assert may_market, (channel, g)
                        release = decision.held_until or at
                        rule = DEFAULT_POLICY.quiet_rule(channel, "marketing")
                        if rule is not None:
                            local = release.astimezone(player_zone(g.region))
                            hours = rule.days_off if is_day_off(local.date()) else rule.working_days
                            assert hours.start <= local.time() < hours.end, (channel, g.region, local)
                # The audience query for marketing reads only the folded marketing_from: the same players.
                fast = selection.eligible_select(
                    channel=channel, message_class="marketing", at=at, policy=DEFAULT_POLICY
                )
                assert {row.player_id for row in session.execute(fast)} == {
                    player_id for player_id, blocked_by in selected.items() if blocked_by is None
                }, channel
