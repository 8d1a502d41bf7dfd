"""The SQL audience of any segment equals the Python evaluation over the same players, on both dialects.

The population is built to hit the edges: empty values in every source, ties on every compared value, birth
dates on 29 February and on the day's turn, registrations either side of the operator's midnight, scores of an
older run that must not be read, a second churn model, players with no loyalty account or a blocked card, and
contactability rows that allow, hold and forbid. Hypothesis writes the segments: every field, every operator,
nested all / any / not.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, insert, select

from lottocrm import clock, vocab
from lottocrm.analytics.churn.models import ChurnScore
from lottocrm.analytics.clusters.models import PlayerCluster
from lottocrm.analytics.clv.models import PlayerClv
from lottocrm.analytics.mart.models import PlayerAnalytics, PlayerAnalyticsWrite
from lottocrm.analytics.propensity.models import PlayerGamePropensity, PlayerNextGame
from lottocrm.contact_policy.models import contactability
from lottocrm.db.engine import make_engine, session_factory
from lottocrm.loyalty.models import LoyaltyAccount, LoyaltyCard
from lottocrm.marketing.campaigns.models import Campaign, CampaignMember, CampaignRun
from lottocrm.marketing.segments.audience import audience_select, frame_at
from lottocrm.marketing.segments.conditions import NO_VALUE, OPERATORS, conditions, parse
from lottocrm.marketing.segments.evaluate import holds, value_key
from lottocrm.marketing.segments.fields import FIELDS, LIFECYCLE, RISK_BANDS, FieldSpec
from lottocrm.players.models import Player

PLAYERS = 240
AS_OF = dt.date(2026, 2, 27)
# The operator's midnight in Moscow and a moment near it; the zone is the clock's.
MOMENTS = (dt.datetime(2026, 2, 28, 21, 0, tzinfo=dt.UTC), dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC))
DAYS = [dt.date(2026, 2, 28) - dt.timedelta(days=n) for n in (0, 1, 2, 7, 29, 30, 31, 365, 366)]
BIRTHS = [
    dt.date(2008, 2, 29),
    dt.date(2008, 2, 28),
    dt.date(2008, 3, 1),
    dt.date(1990, 3, 1),
    dt.date(1966, 6, 5),
]
REGIONS = ("77", "78", "50", "25")
TIERS = ("base", "silver", "gold")
SMALL_NUMBERS = (0.0, 0.125, 0.25, 0.5, 0.75, 1.0)
GAMES = (1, 2, 3)
# The fields read from the store; behaviour from the lake and campaign responses have their own test
# (test_behaviour_equivalence.py), with a lake.
STORE_FIELDS = {name: spec for name, spec in FIELDS.items() if spec.source not in ("behaviour", "responses")}


def _maybe(rng: random.Random, values: Any, none: float = 0.2) -> Any:
    return None if rng.random() < none else rng.choice(values)


def _populate(engine: Engine) -> None:
    rng = random.Random(20261207)
    created = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    players, record, old_record, churn, clv, propensity, next_game, clusters = [], [], [], [], [], [], [], []
    accounts, cards, contact = [], [], []
    for pid in range(1, PLAYERS + 1):
        registered = dt.datetime.combine(rng.choice(DAYS), dt.time(21), dt.UTC) + dt.timedelta(
            minutes=rng.choice((-1, 0, 1, 600))
        )
        players.append(
            {
                "id": pid,
                "last_name": "Иванов",
                "first_name": "Пётр",
                "search_name": "иванов петр",
                "birth_date": _maybe(rng, BIRTHS),
                "gender": _maybe(rng, vocab.GENDERS),
                "region": _maybe(rng, REGIONS),
                "registered_at": registered,
                "registration_channel": rng.choice(vocab.REGISTRATION_CHANNELS),
                "age_verified": rng.random() < 0.5,
                "under_age": False,
                "status": "active",
                "created_at": created,
            }
        )
        if rng.random() < 0.85:
            record.append(_record_row(rng, pid, AS_OF))
        old_record.append(_record_row(rng, pid, AS_OF - dt.timedelta(days=7)))
        for model in ("m1", "m2"):
            churn.append(
                {
                    "as_of": AS_OF,
                    "model_version": model,
                    "player_id": pid,
                    "probability": rng.choice(SMALL_NUMBERS),
                    "risk_band": rng.choice(RISK_BANDS),
                }
            )
        if rng.random() < 0.8:
            clv.append(
                {
                    "as_of": AS_OF,
                    "player_id": pid,
                    "model": "bgnbd",
                    "probability_alive": rng.choice(SMALL_NUMBERS),
                    "expected_purchases": rng.choice(SMALL_NUMBERS),
                    "horizon_days": 365,
                    "expected_spend_kopecks": rng.choice((0, 5_000, 10_000)),
                    "clv_kopecks": rng.choice((0, 5_000, 10_000, 250_000)),
                    "discount_rate": 0.1,
                }
            )
        for rank, game in enumerate(rng.sample(GAMES, rng.randint(0, 3)), start=1):
            propensity.append(
                {
                    "as_of": AS_OF,
                    "player_id": pid,
                    "rank": rank,
                    "game_id": game,
                    "probability": rng.choice(SMALL_NUMBERS),
                    "played_before": rng.random() < 0.5,
                }
            )
        if rng.random() < 0.7:
            next_game.append(
                {
                    "as_of": AS_OF,
                    "player_id": pid,
                    "rank": 1,
                    "game_id": rng.choice(GAMES),
                    "score": rng.choice(SMALL_NUMBERS),
                    "propensity": 0.5,
                    "lift": None,
                    "reason_kind": "popular",
                    "reason_detail": None,
                }
            )
        if rng.random() < 0.9:
            clusters.append(
                {"as_of": AS_OF, "player_id": pid, "cluster": rng.randint(0, 3), "probability": 0.9}
            )
        if rng.random() < 0.6:
            accounts.append(
                {
                    "id": pid,
                    "code": f"member:{pid}",
                    "kind": "member",
                    "player_id": pid,
                    "balance": rng.choice((0, 100, 5_000)),
                    "tier": _maybe(rng, TIERS),
                    "created_at": created,
                }
            )
            for status in rng.sample(["active", "blocked"], rng.randint(0, 2)):
                cards.append(
                    {
                        "number": f"{pid:08d}{status[0]}",
                        "account_id": pid,
                        "status": status,
                        "created_at": created,
                    }
                )
        if rng.random() < 0.9:
            contact.append(_contact_row(rng, pid, created))
    with engine.begin() as connection:
        connection.execute(insert(Player), players)
        connection.execute(insert(PlayerAnalytics), record + old_record)
        connection.execute(
            insert(PlayerAnalyticsWrite),
            [
                {"as_of": day, "event_id": str(day), "players": PLAYERS, "written_at": created}
                for day in (AS_OF, AS_OF - dt.timedelta(days=7))
            ],
        )
        connection.execute(insert(ChurnScore), churn)
        connection.execute(insert(PlayerClv), clv)
        connection.execute(insert(PlayerGamePropensity), propensity)
        connection.execute(insert(PlayerNextGame), next_game)
        connection.execute(insert(PlayerCluster), clusters)
        connection.execute(insert(LoyaltyAccount), accounts)
        connection.execute(insert(LoyaltyCard), cards)
        connection.execute(insert(contactability), contact)
        _campaign_history(connection, rng, created)


def _campaign_history(connection: Any, rng: random.Random, created: dt.datetime) -> None:
    """Campaigns 1 and 2 (of the games' ids 1–3 the test draws from), two runs each; some players in each arm,
    some treated whose message the policy stopped (no message id)."""
    for campaign in (1, 2):
        connection.execute(
            insert(Campaign),
            [
                {
                    "id": campaign,
                    "name": f"c{campaign}",
                    "kind": "one_off",
                    "status": "done",
                    "definition": {},
                    "created_at": created,
                    "created_by": "t",
                }
            ],
        )
        for run in (1, 2):
            run_id = campaign * 10 + run
            connection.execute(
                insert(CampaignRun),
                [
                    {
                        "id": run_id,
                        "campaign_id": campaign,
                        "occurrence": str(run),
                        "status": "queued",
                        "started_at": created,
                        "counts": {},
                    }
                ],
            )
            members = [
                {
                    "run_id": run_id,
                    "player_id": pid,
                    "arm": rng.choice(("treatment", "control")),
                    "stratum": "x",
                    "message_id": rng.choice((None, pid)),
                    "assigned_at": created,
                }
                for pid in rng.sample(range(1, PLAYERS + 1), PLAYERS // 5)
            ]
            connection.execute(insert(CampaignMember), members)


def _record_row(rng: random.Random, pid: int, as_of: dt.date) -> dict[str, Any]:
    money = (0, 5_000, 10_000, 250_000)
    return {
        "as_of": as_of,
        "player_id": pid,
        "region": None,
        "days_since_registration": rng.choice((0, 1, 30, 400)),
        "first_purchase_on": _maybe(rng, DAYS),
        "second_purchase_on": _maybe(rng, DAYS, 0.5),
        "last_purchase_on": _maybe(rng, DAYS),
        "recency_days": _maybe(rng, (0, 1, 30, 31)),
        "tenure_days": _maybe(rng, (0, 30)),
        "frequency": rng.choice((0, 1, 2, 10)),
        "tickets": rng.choice((0, 1, 2, 10)),
        "monetary_kopecks": rng.choice(money),
        "average_check_kopecks": _maybe(rng, money),
        "interval_mean_days": _maybe(rng, SMALL_NUMBERS),
        "interval_std_days": None,
        "spend_30d_kopecks": rng.choice(money),
        "spend_90d_kopecks": rng.choice(money),
        "spend_trend_30d": _maybe(rng, (-0.5, 0.0, 0.5)),
        "spend_trend_90d": _maybe(rng, (-0.5, 0.0, 0.5)),
        "favourite_game_id": _maybe(rng, GAMES),
        "favourite_game_share": _maybe(rng, SMALL_NUMBERS),
        "draw_share": _maybe(rng, SMALL_NUMBERS),
        "main_channel": _maybe(rng, vocab.SALES_CHANNELS),
        "main_channel_share": None,
        "wins_count": rng.choice((0, 1, 3)),
        "wins_kopecks": rng.choice(money),
        "last_win_on": _maybe(rng, DAYS, 0.5),
        "biggest_win_kopecks": _maybe(rng, money),
        "segment": rng.choice(LIFECYCLE),
        "r_level": _maybe(rng, (1, 2, 3, 4, 5)),
        "f_level": _maybe(rng, (1, 2, 3, 4, 5)),
        "m_level": _maybe(rng, (1, 2, 3, 4, 5)),
    }


def _contact_row(rng: random.Random, pid: int, created: dt.datetime) -> dict[str, Any]:
    never = dt.datetime(9999, 12, 31, tzinfo=dt.UTC)
    row: dict[str, Any] = {
        "player_id": pid,
        "refreshed_at": created,
        "status": "active",
        "under_age": False,
        "adult_from": rng.choice((None, created, never, MOMENTS[1])),
    }
    for channel in vocab.CONSENT_CHANNELS:
        row[f"{channel}_marketing_from"] = rng.choice((created, MOMENTS[0], MOMENTS[1], never))
        row[f"{channel}_consent_granted"] = _maybe(rng, (True, False), 0.3)
    return row


@pytest.fixture(scope="module")
def population(module_db_url: str) -> Iterator[Engine]:
    engine = make_engine(module_db_url)
    _populate(engine)
    yield engine
    engine.dispose()


def _target(spec: FieldSpec, op: str) -> Any:
    """A strategy for the value of ``op`` on ``spec``, drawn where the population's values lie (ties)."""
    if op in NO_VALUE:
        return st.none()
    if op in ("within_last_days", "more_than_days_ago"):
        return st.sampled_from((1, 2, 3, 7, 30, 31, 365, 366, 367, 6_600, 6_601))
    if spec.kind == "date":
        scalar = st.sampled_from([*DAYS, *BIRTHS]).map(dt.date.isoformat)
    elif spec.name == "profile.age":
        scalar = st.sampled_from((0, 17, 18, 19, 35, 36, 59, 60, 150))
    elif spec.kind in ("integer", "money"):
        scalar = st.sampled_from((-1, 0, 1, 2, 3, 5, 10, 30, 31, 100, 400, 5_000, 10_000, 250_000))
    elif spec.kind == "number":
        scalar = st.sampled_from((*SMALL_NUMBERS, -0.5, 0.3))
    elif spec.choices is not None:
        scalar = st.sampled_from(spec.choices)
    elif spec.value_type is int:
        scalar = st.sampled_from((0, 1, 2, 3, 4))
    else:
        scalar = st.sampled_from(REGIONS + TIERS)
    if op == "between":
        return st.lists(scalar, min_size=2, max_size=2).map(sorted)
    if op in ("in", "not_in"):
        return st.lists(scalar, min_size=1, max_size=3)
    return scalar


@st.composite
def _leaf(draw: st.DrawFn) -> dict[str, Any]:
    spec = FIELDS[draw(st.sampled_from(sorted(STORE_FIELDS)))]
    op = draw(st.sampled_from(OPERATORS[spec.kind]))
    document: dict[str, Any] = {"field": spec.name, "op": op}
    if spec.params:
        document["params"] = {
            param.name: draw(st.sampled_from(param.choices or GAMES)) for param in spec.params
        }
    if op not in NO_VALUE:
        document["value"] = draw(_target(spec, op))
    return document


_trees = st.recursive(
    _leaf(),
    lambda children: st.one_of(
        st.lists(children, min_size=1, max_size=3).map(lambda parts: {"all": parts}),
        st.lists(children, min_size=1, max_size=3).map(lambda parts: {"any": parts}),
        children.map(lambda part: {"not": part}),
    ),
    max_leaves=6,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=_trees, moment=st.sampled_from(MOMENTS))
def test_sql_audience_equals_python_evaluation(
    population: Engine, document: Any, moment: dt.datetime
) -> None:
    node = parse(document)
    with clock.frozen(moment, "Europe/Moscow"), session_factory(population)() as session:
        frame = frame_at(session)
        in_sql = set(session.scalars(audience_select(node, frame)))
        leaves = list({value_key(leaf): leaf for leaf in conditions(node)}.values())
        rows = session.execute(
            select(frame.player_id, *(frame.value(leaf) for leaf in leaves)).select_from(frame.joined())
        ).all()
        today = clock.operator_day()
        in_python = {
            row[0]
            for row in rows
            if holds(node, {value_key(leaf): row[i + 1] for i, leaf in enumerate(leaves)}, today)
        }
    assert in_sql == in_python, document


def test_the_population_reaches_both_sides_of_every_field(population: Engine) -> None:
    """Each field has players with a value and (where the source allows) players without one: the
    equivalence above is not vacuous."""
    with clock.frozen(MOMENTS[1], "Europe/Moscow"), session_factory(population)() as session:
        frame = frame_at(session)
        for name, spec in STORE_FIELDS.items():
            params = {param.name: (param.choices or GAMES)[0] for param in spec.params}
            node = parse({"field": name, "op": "known", **({"params": params} if params else {})})
            known = len(set(session.scalars(audience_select(node, frame))))
            assert known > 0, name


def test_campaign_history_reads_the_arm_and_the_message(population: Engine) -> None:
    with clock.frozen(MOMENTS[1], "Europe/Moscow"), session_factory(population)() as session:
        frame = frame_at(session)

        def chosen(field: str) -> set[int]:
            node = parse({"field": field, "params": {"campaign": 1}, "op": "is_true"})
            return set(session.scalars(audience_select(node, frame)))

        members = session.execute(
            select(CampaignMember.player_id, CampaignMember.arm, CampaignMember.message_id)
            .join(CampaignRun, CampaignRun.id == CampaignMember.run_id)
            .where(CampaignRun.campaign_id == 1)
        ).all()
        assert chosen("campaigns.held_back") == {pid for pid, arm, _m in members if arm == "control"}
        assert chosen("campaigns.received") == {
            pid for pid, arm, message in members if arm == "treatment" and message is not None
        }
