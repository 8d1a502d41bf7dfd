"""The decision service over a real database (SQLite and, with LOTTOCRM_TEST_DATABASE_URL, PostgreSQL):
who gets an offer, who gets the default banner and why, budgets, caps, the time budget, and the impressions
and clicks stored as the website's events."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import Engine, select, update

from lottocrm.db.engine import transaction
from lottocrm.marketing.decisions import service
from lottocrm.marketing.decisions.models import BannerOffer
from lottocrm.marketing.decisions.state import DecisionState
from lottocrm.player_events.models import PlayerEvent
from marketing.decisions.helpers import PLACEMENT, banner_world, web_player

SOURCE = "apikey:test"
# The first decision on a new engine compiles its statements (tens of ms on a loaded test machine): the
# tests of who gets what give it time; the time budget has its own test with a clock that jumps.
ROOMY = 5.0
TODAY = dt.date.today()


def _decide(engine: Engine, state: DecisionState, **asked) -> service.BannerDecision:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        return service.decide(
            session,
            placement=asked.pop("placement", PLACEMENT),
            source=SOURCE,
            state=state,
            deadline=service.Deadline(ROOMY),
            **asked,
        )


def _impressions(engine: Engine) -> list[PlayerEvent]:
    with transaction(engine) as session:
        return list(
            session.scalars(
                select(PlayerEvent).where(PlayerEvent.type == "banner_impression").order_by(PlayerEvent.id)
            )
        )


def _spent(engine: Engine) -> dict[str, int]:
    with transaction(engine) as session:
        return dict(session.execute(select(BannerOffer.code, BannerOffer.spent)).all())


def test_the_best_offer_the_player_may_receive_is_served_and_recorded(engine: Engine, make_player) -> None:  # type: ignore[no-untyped-def]
    banner_world(engine)
    with transaction(engine) as session:
        player = web_player(session, make_player)
    state = DecisionState()
    decision = _decide(engine, state, player_id=player, device_id=None)
    assert decision.banner.offer == "best" and decision.default_because is None
    assert decision.banner.title == "Заголовок best" and decision.banner.link_url == "/games/best"
    [impression] = _impressions(engine)
    assert impression.player_id == player and impression.event_id == f"imp-{decision.decision_id}"
    assert impression.properties == {
        "placement": PLACEMENT,
        "offer": "best",
        "decision_id": decision.decision_id,
    }
    assert _spent(engine) == {"best": 1, "second": 0, "players_only": 0}


REFUSED = {
    "self_excluded": {"self_excluded_until": TODAY + dt.timedelta(days=180)},
    "excluded_not_returned": {"self_excluded_until": TODAY - dt.timedelta(days=3)},
    "timed_out": {"timeout_until": dt.datetime.now(dt.UTC) + dt.timedelta(hours=6)},
    "spend_limit": {"limit_reached_until": TODAY + dt.timedelta(days=3)},
    "under_age": {"minor": True},
    "age_unknown": {"birth_date": None},
    "closed_account": {"status": "closed"},
    "no_web_consent": {"web": None},
    "web_consent_withdrawn": {"web": False},
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_player_the_contact_policy_stops_gets_the_default_banner_never_an_offer(
    case: str,
    engine: Engine,
    make_player,  # type: ignore[no-untyped-def]
) -> None:
    banner_world(engine)
    with transaction(engine) as session:
        player = web_player(session, make_player, **REFUSED[case])
    decision = _decide(engine, DecisionState(), player_id=player, device_id="dev-1")
    assert decision.banner.offer is None and decision.default_because == "contact_policy"
    assert decision.banner.title == "Играйте ответственно"
    assert _impressions(engine) == [] and set(_spent(engine).values()) == {0}


def test_an_anonymous_visitor_gets_offers_for_everyone_counted_by_device(engine: Engine) -> None:
    banner_world(engine, best={"player_daily_cap": 1}, second={"player_daily_cap": 1})
    state = DecisionState()
    served = [_decide(engine, state, player_id=None, device_id="browser-7").banner.offer for _ in range(3)]
    assert served == ["best", "second", None]
    assert {event.device_id for event in _impressions(engine)} == {"browser-7"}
    # Another device has its own count.
    assert _decide(engine, state, player_id=None, device_id="browser-8").banner.offer == "best"


def test_an_unknown_player_with_a_device_is_an_anonymous_visitor_and_alone_is_refused(engine: Engine) -> None:
    banner_world(engine)
    state = DecisionState()
    decision = _decide(engine, state, player_id=424242, device_id="browser-1")
    assert decision.banner.offer == "best"
    [impression] = _impressions(engine)
    assert impression.player_id is None and impression.claimed_player_id == 424242
    with pytest.raises(service.UnknownPlayer, match="send a device_id too"):
        _decide(engine, state, player_id=424242, device_id=None)


def test_an_unknown_placement_is_refused_with_the_known_ones(engine: Engine) -> None:
    banner_world(engine)
    with pytest.raises(
        service.UnknownPlacement, match="no placement 'sidebar' \\(the placements: home_top\\)"
    ):
        _decide(engine, DecisionState(), placement="sidebar", player_id=None, device_id="d")


def test_an_offer_whose_budget_ran_out_mid_request_is_passed_over(engine: Engine) -> None:
    ids = banner_world(engine, best={"budget": 5})
    state = DecisionState()
    with transaction(engine) as session:
        state.catalogue(session)  # read while "best" still had budget
    # Another process serves the rest of "best" meanwhile.
    with transaction(engine) as session:
        session.execute(update(BannerOffer).where(BannerOffer.id == ids["best"]).values(spent=5))
    decision = _decide(engine, state, player_id=None, device_id="d1")
    assert decision.banner.offer == "second"
    assert _spent(engine) == {"best": 5, "second": 1, "players_only": 0}
    with transaction(engine) as session:
        session.execute(update(BannerOffer).where(BannerOffer.id == ids["second"]).values(spent=1000))
    decision = _decide(engine, state, player_id=None, device_id="d2")
    assert decision.banner.offer is None and decision.default_because == "budget_spent"


def test_a_money_budget_takes_the_price_of_each_impression_and_never_goes_over(engine: Engine) -> None:
    banner_world(engine, best={"budget_unit": "kopecks", "budget": 250, "cost_per_impression": 100})
    state = DecisionState()
    served = [_decide(engine, state, player_id=None, device_id=f"d{n}").banner.offer for n in range(3)]
    assert served == ["best", "best", "second"]
    assert _spent(engine)["best"] == 200


def test_the_placements_cap_per_visitor_gives_the_default(engine: Engine, make_player) -> None:  # type: ignore[no-untyped-def]
    banner_world(engine, best={"player_daily_cap": 4}, second={"player_daily_cap": 4})
    with transaction(engine) as session:
        player = web_player(session, make_player)
    state = DecisionState()
    served = [_decide(engine, state, player_id=player, device_id=None) for _ in range(6)]
    assert [d.banner.offer for d in served] == ["best"] * 4 + ["second", None]
    assert served[-1].default_because == "player_cap"


def test_offers_out_of_their_window_audience_or_region_are_not_served(engine: Engine, make_player) -> None:  # type: ignore[no-untyped-def]
    past = (dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 1, 2, tzinfo=dt.UTC))
    banner_world(
        engine,
        best={"starts_at": past[0], "ends_at": past[1]},
        second={"regions": ("RU-SPE",), "audience": "players"},
        players_only={"audience": "anonymous"},
    )
    with transaction(engine) as session:
        moscow = web_player(session, make_player, region="RU-MOW")
        petersburg = web_player(session, make_player, region="RU-SPE")
    state = DecisionState()
    assert _decide(engine, state, player_id=moscow, device_id=None).default_because == "no_offer"
    assert _decide(engine, state, player_id=petersburg, device_id=None).banner.offer == "second"
    assert _decide(engine, state, player_id=None, device_id="d").banner.offer == "players_only"


def test_past_the_time_budget_the_default_banner_is_answered(engine: Engine, make_player) -> None:  # type: ignore[no-untyped-def]
    banner_world(engine)
    with transaction(engine) as session:
        player = web_player(session, make_player)
    # A clock that moves 30 ms each time it is read: the look before charging the best offer is past 50 ms.
    ticks = itertools.count(0.0, 0.030)
    with transaction(engine) as session:
        decision = service.decide(
            session,
            placement=PLACEMENT,
            player_id=player,
            device_id=None,
            source=SOURCE,
            state=DecisionState(),
            deadline=service.Deadline(0.050, monotonic=lambda: next(ticks)),
        )
    assert decision.banner.offer is None and decision.default_because == "time_budget"
    assert _impressions(engine) == [] and set(_spent(engine).values()) == {0}
    # The same request with time to spare gets the offer.
    assert _decide(engine, DecisionState(), player_id=player, device_id=None).banner.offer == "best"


def test_a_click_is_stored_once_per_decision_as_a_banner_click(engine: Engine) -> None:
    banner_world(engine)
    decision = _decide(engine, DecisionState(), player_id=None, device_id="browser-3")
    with transaction(engine) as session:
        assert service.record_click(session, decision_id=decision.decision_id, source=SOURCE) is True
    with transaction(engine) as session:
        assert service.record_click(session, decision_id=decision.decision_id, source=SOURCE) is False
        [click] = session.scalars(select(PlayerEvent).where(PlayerEvent.type == "banner_click")).all()
    assert click.device_id == "browser-3" and click.properties["offer"] == "best"
    with transaction(engine) as session, pytest.raises(service.UnknownDecision):
        service.record_click(session, decision_id="0" * 32, source=SOURCE)
