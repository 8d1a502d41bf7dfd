"""One identity, one player: normalised on the way in, unique in the database, clear errors otherwise."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError

from helpers.factories import IMPORT
from lottocrm.db.engine import transaction
from lottocrm.players import service
from lottocrm.players.models import PlayerIdentity


@pytest.mark.parametrize(
    "written",
    ["8 (916) 123-45-67", "+7 916 123 45 67", "9161234567", "+7(916)1234567", " 8-916-123-45-67 "],
)
def test_the_ways_russians_write_a_phone_all_become_one_e164(written: str) -> None:
    assert service.normalise_phone(written) == "+79161234567"


@pytest.mark.parametrize("written", ["12345", "abc", "", "+7 916 123"])
def test_a_malformed_phone_is_refused_naming_the_value(written: str) -> None:
    with pytest.raises(service.InvalidIdentityError, match="phone"):
        service.normalise_phone(written)


def test_emails_are_lower_cased_and_checked() -> None:
    assert service.normalise_email("  Anna.Petrova@Mail.RU ") == "anna.petrova@mail.ru"
    for bad in ("anna", "anna@", "anna@mail", "an na@mail.ru", "a@b@mail.ru"):
        with pytest.raises(service.InvalidIdentityError, match="e-mail"):
            service.normalise_email(bad)


def test_identities_are_normalised_and_adding_one_twice_is_harmless(engine: Engine, make_player) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        player = make_player(session)
        phone = service.add_identity(
            session, actor=IMPORT, player_id=player.id, kind="phone", value="8 (916) 123-45-67"
        )
        again = service.add_identity(
            session, actor=IMPORT, player_id=player.id, kind="phone", value="+7 916 123 45 67"
        )
        email = service.add_identity(
            session, actor=IMPORT, player_id=player.id, kind="email", value="Anna@Mail.RU"
        )
        card = service.add_identity(
            session, actor=IMPORT, player_id=player.id, kind="card", value=" 7000123412341234 "
        )
    assert (phone.value, email.value, card.value) == ("+79161234567", "anna@mail.ru", "7000123412341234")
    assert again.id == phone.id
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(PlayerIdentity)) == 3


def test_an_identity_of_another_player_is_refused_and_the_transaction_goes_on(
    engine: Engine, make_player
) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        owner = make_player(session)
        other = make_player(session)
        service.add_identity(session, actor=IMPORT, player_id=owner.id, kind="phone", value="+79161234567")
        with pytest.raises(
            service.IdentityTakenError, match="this phone already belongs to another player"
        ) as taken:
            service.add_identity(
                session, actor=IMPORT, player_id=other.id, kind="phone", value="8 916 123-45-67"
            )
        assert (taken.value.value, taken.value.owner_id) == ("+79161234567", owner.id)
        service.add_identity(session, actor=IMPORT, player_id=other.id, kind="phone", value="+79161234568")
    with transaction(engine) as session:
        owners = {
            value: owner
            for value, owner in session.execute(select(PlayerIdentity.value, PlayerIdentity.player_id))
        }
    assert owners == {"+79161234567": owner.id, "+79161234568": other.id}


def test_the_same_value_may_be_different_kinds(engine: Engine, make_player) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        first, second = make_player(session), make_player(session)
        service.add_identity(session, actor=IMPORT, player_id=first.id, kind="card", value="100200")
        service.add_identity(session, actor=IMPORT, player_id=second.id, kind="device", value="100200")


def test_unknown_player_kind_or_empty_value_are_refused(engine: Engine, make_player) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        player = make_player(session)
        with pytest.raises(service.PlayerNotFoundError, match="no player with id 999"):
            service.add_identity(session, actor=IMPORT, player_id=999, kind="email", value="x@y.ru")
        with pytest.raises(service.PlayerServiceError, match="unknown identity kind 'passport'"):
            service.add_identity(
                session, actor=IMPORT, player_id=player.id, kind="passport", value="4510 123456"
            )
        with pytest.raises(service.InvalidIdentityError, match="empty device"):
            service.add_identity(session, actor=IMPORT, player_id=player.id, kind="device", value="  ")


def test_the_database_itself_refuses_a_duplicate_identity(engine: Engine, make_player) -> None:  # type: ignore[no-untyped-def]
    """Uniqueness does not depend on the service: a raw insert that bypasses it still fails."""
    now = dt.datetime.now(dt.UTC)
    with pytest.raises(IntegrityError), transaction(engine) as session:
        first, second = make_player(session), make_player(session)
        for player in (first, second):
            session.add(
                PlayerIdentity(player_id=player.id, kind="email", value="same@mail.ru", created_at=now)
            )
            session.flush()


def test_two_sessions_racing_for_one_phone_one_wins_and_the_other_gets_a_clear_error(
    engine: Engine, make_player
) -> None:  # type: ignore[no-untyped-def]
    """On PostgreSQL the loser's insert waits on the unique index, then fails inside a savepoint; its
    transaction stays usable. On SQLite the loser waits in BEGIN IMMEDIATE and finds the winner's row."""
    with transaction(engine) as session:
        winner, loser = make_player(session).id, make_player(session).id
    winner_inserted = threading.Event()

    def win() -> None:
        with transaction(engine) as session:
            service.add_identity(session, actor=IMPORT, player_id=winner, kind="phone", value="+79161234567")
            winner_inserted.set()
            time.sleep(0.3)

    thread = threading.Thread(target=win)
    thread.start()
    assert winner_inserted.wait(timeout=10)
    with transaction(engine) as session:
        with pytest.raises(service.IdentityTakenError) as taken:
            service.add_identity(
                session, actor=IMPORT, player_id=loser, kind="phone", value="8 916 123 45 67"
            )
        assert taken.value.owner_id == winner
        service.add_identity(session, actor=IMPORT, player_id=loser, kind="email", value="loser@mail.ru")
    thread.join()
    with transaction(engine) as session:
        owners = {
            value: owner
            for value, owner in session.execute(select(PlayerIdentity.value, PlayerIdentity.player_id))
        }
    assert owners == {"+79161234567": winner, "loser@mail.ru": loser}
