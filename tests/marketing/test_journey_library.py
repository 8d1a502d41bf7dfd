"""The shipped lottery journeys: each installs as a valid draft with its Russian templates published, can go
live (the engine runs every step and trigger it uses), is refused a second time by name, and keeps an
operator's own template of the same code; through the API and the journeys page."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from helpers.web_app import csrf_of
from lottocrm.db.engine import transaction
from lottocrm.marketing.journeys import library, live, service
from lottocrm.marketing.journeys.models import Journey
from lottocrm.marketing.journeys.service import JourneyNameTaken
from lottocrm.messaging.templates import service as templates
from lottocrm.messaging.templates.render import Bodies
from marketing.campaigns.helpers import APPROVER, AUTHOR


@pytest.mark.parametrize("code", sorted(library.LIBRARY))
def test_each_shipped_journey_installs_as_a_draft_that_can_go_live(engine: Engine, code: str) -> None:
    with transaction(engine) as session:
        version = library.install(session, actor=AUTHOR, code=code)
    with transaction(engine) as session:
        definition = service.check(session, version.definition)
        assert live.unsupported(definition) == []
        for message in library.LIBRARY[code].messages:
            template = templates.find_template(session, code=message.code)
            assert templates.published_version(session, template_id=template.id) is not None
        live.go_live(session, actor=APPROVER, journey_id=version.journey_id, version=1, move_instances=False)
        assert session.get(Journey, version.journey_id).status == "live"


def test_a_second_install_is_refused_and_the_operators_own_template_is_kept(engine: Engine) -> None:
    own = Bodies(
        push_title="Свой текст", push_body="{{ first_name }}, наш собственный текст ко дню рождения."
    )
    with transaction(engine) as session:
        template = templates.create_template(
            session, actor=AUTHOR, code="journey_birthday", name="Свой", message_class="marketing"
        )
        draft = templates.save_draft(session, actor=AUTHOR, template_id=template.id, bodies=own)
        templates.publish_version(session, actor=AUTHOR, version_id=draft.version.id)
    with transaction(engine) as session:
        library.install(session, actor=AUTHOR, code="birthday")
    with transaction(engine) as session, pytest.raises(JourneyNameTaken):
        library.install(session, actor=AUTHOR, code="birthday")
    with transaction(engine) as session:
        published = templates.published_version(session, template_id=template.id)
        assert templates.bodies_of(published) == own
        assert len(session.scalars(select(Journey)).all()) == 1


def test_the_library_through_the_api(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    marketer = client_for("marketer")
    marketer.headers["X-CSRF-Token"] = csrf_of(marketer, "/templates")
    listed = marketer.get("/api/v1/journeys/library").json()
    assert {item["code"] for item in listed} == set(library.LIBRARY)
    assert {item["trigger"] for item in listed} >= {"registered", "ticket_won", "big_win", "birthday"}
    installed = marketer.post("/api/v1/journeys/library/ticket_won")
    assert installed.status_code == 201 and installed.json()["status"] == "draft"
    assert marketer.post("/api/v1/journeys/library/ticket_won").status_code == 409
    unknown = marketer.post("/api/v1/journeys/library/lottery_of_dreams")
    assert unknown.status_code == 404 and "lottery_of_dreams" in unknown.text
    analyst = client_for("analyst")
    analyst.headers["X-CSRF-Token"] = csrf_of(analyst, "/players")
    assert analyst.post("/api/v1/journeys/library/birthday").status_code == 403


def test_the_journeys_page_installs_one_and_says_why_not_in_russian(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    marketer = client_for("marketer")
    listing = marketer.get("/journeys?lang=ru").text
    assert "Готовые лотерейные сценарии" in listing and "Крупный выигрыш" in listing
    token = csrf_of(marketer, "/journeys")
    done = marketer.post("/journeys/library/big_win", data={"csrf_token": token})
    assert done.status_code == 303
    page = marketer.get(done.headers["location"] + "&lang=ru").text
    assert "установлен черновиком" in page and "звонок оператора: «Поздравить с крупным выигрышем" in page
    again = marketer.post("/journeys/library/big_win?lang=ru", data={"csrf_token": token})
    assert again.status_code == 409 and "сценарий с названием «Крупный выигрыш» уже есть" in again.text
