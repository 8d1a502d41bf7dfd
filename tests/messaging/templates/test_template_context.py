"""The template variables of many players at once (templates/context.py): every value read for a player the
stores know, None for what they do not know (no loyalty account, no record, no next game, no draw
scheduled, a region outside the table), in a fixed number of statements whatever the number of players; the
editor's sample players read the same values."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, update

from helpers.queries import statements
from lottocrm import clock
from lottocrm.catalog.models import Draw
from lottocrm.db.engine import transaction
from lottocrm.messaging.templates import samples
from lottocrm.messaging.templates.context import player_variables
from lottocrm.messaging.templates.variables import NAMES, checked_context
from lottocrm.players.models import Player

# Tuesday 10 March 2026, noon in Moscow: four days after the known player's last ticket (6 March).
NOON = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)


def test_a_known_player_gets_every_value_and_an_unknown_one_none(templated_world, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    world = templated_world
    with transaction(engine) as session:
        found = player_variables(session, [world.known, world.unknown, 999_999], at=NOON)
    assert set(found) == {world.known, world.unknown}  # no such player: left out
    assert found[world.known] == {
        "first_name": "Ольга",
        "middle_name": "Сергеевна",
        "last_name": "Смирнова",
        "region_name": "Москва",
        "loyalty_balance": 1_251,
        "loyalty_tier": "Золотой",
        "favourite_game": "Русское лото",
        "days_since_last_purchase": 4,
        "next_game": "Жилищная лотерея",
        # The drawn draw of the 7th is past, the 21st's is not the next one.
        "next_game_draw_date": dt.date(2026, 3, 14),
    }
    assert found[world.unknown] == {
        "first_name": "Борис",
        "middle_name": "Сергеевна",
        "last_name": "Орлов",
        "region_name": "Москва",
        "loyalty_balance": None,
        "loyalty_tier": None,
        "favourite_game": None,
        "days_since_last_purchase": None,
        "next_game": None,
        "next_game_draw_date": None,
    }
    # Every player variable but the message's own (the unsubscribe link, a campaign's promo code), each of its
    # documented kind.
    assert set(found[world.known]) == NAMES - {"unsubscribe_url", "promo_code"}
    checked_context(found[world.known])
    checked_context(found[world.unknown])


def test_the_next_draw_is_the_next_scheduled_one_and_none_when_none_is(
    templated_world, engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    world = templated_world
    after_the_14th = dt.datetime(2026, 3, 15, 9, 0, tzinfo=dt.UTC)
    with transaction(engine) as session:
        assert player_variables(session, [world.known], at=after_the_14th)[world.known][
            "next_game_draw_date"
        ] == dt.date(2026, 3, 21)
        session.execute(update(Draw).values(status="cancelled"))
        values = player_variables(session, [world.known], at=NOON)[world.known]
    assert values["next_game"] == "Жилищная лотерея" and values["next_game_draw_date"] is None


def test_a_region_outside_the_table_or_none_shows_nothing(templated_world, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    world = templated_world
    with transaction(engine) as session:
        session.execute(update(Player).where(Player.id == world.known).values(region="XX-ZZZ"))
        session.execute(update(Player).where(Player.id == world.unknown).values(region=None))
        found = player_variables(session, [world.known, world.unknown], at=NOON)
    assert found[world.known]["region_name"] is None and found[world.unknown]["region_name"] is None


def test_a_fixed_number_of_statements_whatever_the_number_of_players(templated_world, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    world = templated_world
    with transaction(engine) as session:
        with statements() as few:
            player_variables(session, [world.known], at=NOON)
        with statements() as many:
            found = player_variables(session, [world.known, world.unknown, *world.others], at=NOON)
    assert len(found) == 4 and len(few) == len(many) == 3


def test_with_no_record_and_no_next_game_run_the_profile_is_read_alone(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    (player_id,) = contactable(1)
    with transaction(engine) as session, statements() as sent:
        found = player_variables(session, [player_id], at=NOON)
    assert found[player_id]["first_name"] == "Анна" and found[player_id]["next_game"] is None
    assert len(sent) == 2


def test_the_editors_sample_players_show_the_values_the_dispatcher_reads(
    templated_world, engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    world = templated_world
    with clock.frozen(NOON), transaction(engine) as session:
        known, unknown = samples.players_by_id(session, [world.known, world.unknown])
    assert known.name == "Смирнова Ольга Сергеевна"
    assert known.variables["next_game"] == "Жилищная лотерея" and known.variables["loyalty_balance"] == 1_251
    assert unknown.variables["favourite_game"] is None and unknown.variables["loyalty_balance"] is None
    # Only the message's own variables are examples in a preview.
    assert frozenset({"unsubscribe_url", "promo_code"}) == samples.EXAMPLE_ONLY
    assert str(known.variables["unsubscribe_url"]).startswith("https://")
