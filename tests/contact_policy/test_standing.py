"""The contactability rows: a writer that bypasses the refresh is found by ``lottocrm contact-policy check``
and mended by ``--repair`` (audited), and the age the rows fold in is the consent service's own."""

from __future__ import annotations

import datetime as dt
import getpass

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select, update
from typer.testing import CliRunner

from lottocrm.audit.models import AuditEvent
from lottocrm.cli.main import app
from lottocrm.contact_policy import service
from lottocrm.contact_policy.standing import adult_on
from lottocrm.db.engine import transaction
from lottocrm.players.consents import is_under_age
from lottocrm.players.models import Player


@given(
    birth=st.dates(dt.date(1990, 1, 1), dt.date(2012, 12, 31)),
    day=st.dates(dt.date(2008, 1, 1), dt.date(2031, 12, 31)),
)
def test_a_player_is_adult_from_the_day_the_rows_say(birth: dt.date, day: dt.date) -> None:
    player = Player(birth_date=birth, under_age=False)
    assert is_under_age(player, day) == (day < adult_on(birth))


def test_a_row_left_stale_by_a_raw_write_is_found_and_mended(
    engine: Engine,
    settings,
    contactable,  # type: ignore[no-untyped-def]
) -> None:
    blocked, untouched = contactable(2)
    # A raw statement on a connection: no session, so no refresh — as a careless script would do it.
    with engine.begin() as connection:
        connection.execute(update(Player).where(Player.id == blocked).values(status="blocked"))
    with transaction(engine) as session:
        assert service.decide(session, player_id=blocked, channel="sms", message_class="marketing").allowed

    runner = CliRunner()
    found = runner.invoke(app, ["contact-policy", "check"])
    assert found.exit_code != 0, found.output
    assert "1 rows differ" in found.output and str(blocked) in found.output
    mended = runner.invoke(app, ["contact-policy", "check", "--repair"])
    assert mended.exit_code == 0, mended.output
    assert runner.invoke(app, ["contact-policy", "check"]).exit_code == 0

    with transaction(engine) as session:
        assert service.decide(
            session, player_id=blocked, channel="sms", message_class="marketing"
        ).blocked_by == ("player_not_active")
        assert service.decide(session, player_id=untouched, channel="sms", message_class="marketing").allowed
        audited = session.execute(
            select(AuditEvent.actor, AuditEvent.detail).where(
                AuditEvent.action == "contact_policy.rows_rebuilt"
            )
        ).all()
    assert [(actor, detail["drifted"]) for actor, detail in audited] == [(f"cli:{getpass.getuser()}", 1)]
