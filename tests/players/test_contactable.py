"""Who marketing may contact: every rule has a player who breaks only that rule, and must be left out."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, func, select

from helpers.factories import IMPORT
from lottocrm.db.engine import transaction
from lottocrm.players import consents, service

AS_OF = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
BEFORE = AS_OF - dt.timedelta(days=30)


def _grant(
    session, player_id: int, purpose: str, channel: str, *, granted: bool = True, at: dt.datetime = BEFORE
) -> None:  # type: ignore[no-untyped-def]
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


@pytest.fixture
def population(engine: Engine, make_player) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Named players; only those whose name starts with 'ok' may receive SMS advertising at AS_OF."""
    players: dict[str, int] = {}
    with transaction(engine) as session:

        def consenting(name: str, **traits) -> int:  # type: ignore[no-untyped-def]
            player = make_player(session, **traits)
            _grant(session, player.id, "personal_data", "web")
            _grant(session, player.id, "advertising", "sms")
            players[name] = player.id
            return player.id

        consenting("ok")
        consenting("ok_birth_date_unknown", birth_date=None)
        consenting("ok_exclusion_ended", self_excluded_until=AS_OF.date() - dt.timedelta(days=1))
        consenting("ok_turned_18_today", birth_date=AS_OF.date().replace(year=AS_OF.year - 18))
        regranted = consenting("ok_withdrew_then_granted_again")
        _grant(session, regranted, "advertising", "sms", granted=False, at=BEFORE + dt.timedelta(days=1))
        _grant(session, regranted, "advertising", "sms", at=BEFORE + dt.timedelta(days=2))

        withdrew = consenting("advertising_withdrawn")
        _grant(session, withdrew, "advertising", "sms", granted=False, at=BEFORE + dt.timedelta(days=1))
        pd_withdrawn = consenting("personal_data_withdrawn_through_another_channel")
        _grant(
            session, pd_withdrawn, "personal_data", "call", granted=False, at=BEFORE + dt.timedelta(days=1)
        )
        consenting("self_excluded_through_today", self_excluded_until=AS_OF.date())
        consenting("flagged_under_age", under_age=True)
        consenting("seventeen", birth_date=AS_OF.date().replace(year=AS_OF.year - 18) + dt.timedelta(days=1))
        consenting("blocked", status="blocked")
        consenting("closed", status="closed")
        withdraws_later = consenting("ok_withdraws_only_after_as_of")
        _grant(
            session, withdraws_later, "advertising", "sms", granted=False, at=AS_OF + dt.timedelta(seconds=1)
        )

        email_only = make_player(session)
        _grant(session, email_only.id, "personal_data", "web")
        _grant(session, email_only.id, "advertising", "email")
        players["advertising_on_another_channel_only"] = email_only.id

        no_pd = make_player(session)
        _grant(session, no_pd.id, "advertising", "sms")
        players["no_personal_data_consent"] = no_pd.id

        late = make_player(session)
        _grant(session, late.id, "personal_data", "web", at=AS_OF + dt.timedelta(days=1))
        _grant(session, late.id, "advertising", "sms", at=AS_OF + dt.timedelta(days=1))
        players["consented_only_after_as_of"] = late.id

        make_player(session)  # never answered anything
    return players


def test_only_players_passing_every_rule_are_contactable(engine: Engine, population: dict[str, int]) -> None:
    with transaction(engine) as session:
        contactable = list(consents.contactable_players(session, channel="sms", as_of=AS_OF, batch_size=3))
    expected = sorted(player_id for name, player_id in population.items() if name.startswith("ok"))
    named = {player_id: name for name, player_id in population.items()}
    assert [named[player_id] for player_id in contactable] == [named[player_id] for player_id in expected]


def test_the_select_composes_inside_the_database(engine: Engine, population: dict[str, int]) -> None:
    query = consents.contactable_players_select(channel="email", as_of=AS_OF).order_by(None).subquery()
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(query)) == 1


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(service.PlayerServiceError, match="unknown consent channel 'fax'"):
        consents.contactable_players_select(channel="fax", as_of=AS_OF)
    with pytest.raises(service.PlayerServiceError, match="time zone"):
        consents.contactable_players_select(channel="sms", as_of=AS_OF.replace(tzinfo=None))
