"""The demo's banners: the slot and its offers are set up once, and the example page is given a player the
contact policy allows on the web and a self-excluded one, whose decisions are an offer and the default."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from lottocrm.db.engine import transaction
from lottocrm.marketing.decisions import demo, service
from lottocrm.marketing.decisions.models import BannerOffer
from lottocrm.marketing.decisions.state import DecisionState
from marketing.decisions.helpers import web_player


def test_the_demo_sets_up_banners_and_names_players_to_show(seeded, engine: Engine, make_player) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        allowed = web_player(session, make_player)
    made = demo.seed(engine)
    assert made.offers == len(demo.OFFERS) and made.allowed_player == allowed
    assert made.self_excluded_player == 1002  # the seeded self-excluded Иванова
    demo.seed(engine)  # a second run adds nothing
    state = DecisionState()
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(BannerOffer)) == len(demo.OFFERS)
        answers = {
            player: service.decide(
                session,
                placement="home_top",
                player_id=player,
                device_id=None,
                source="demo",
                state=state,
                deadline=service.Deadline(5.0),
            )
            for player in (allowed, 1002)
        }
    assert answers[allowed].banner.offer == "new_year_jackpot"
    assert answers[1002].banner.offer is None and answers[1002].default_because == "contact_policy"
