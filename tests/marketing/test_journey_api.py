"""Journeys through the API on both dialects: saved with versions, checked against the store (templates of
the journey's class, published; the entry segment), refused whole with every fault, audited."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import Engine, select

from helpers.factories import IMPORT
from helpers.web_app import csrf_of
from lottocrm.audit.models import AuditEvent
from lottocrm.db.engine import transaction
from lottocrm.marketing.journeys.models import Journey, JourneyVersion
from lottocrm.messaging import demo
from lottocrm.messaging.templates import service as templates
from marketing.test_journey_definition import WELCOME
from marketing.test_journey_engine import welcome as runnable_welcome


def _template(engine: Engine, code: str, message_class: str, *, publish: bool = True) -> int:
    with transaction(engine) as session:
        template = templates.create_template(
            session, actor=IMPORT, code=code, name=code, message_class=message_class
        )
        draft = templates.save_draft(session, actor=IMPORT, template_id=template.id, bodies=demo.WELCOME)
        if publish:
            templates.publish_version(session, actor=IMPORT, version_id=draft.version.id)
        return template.id


def _client(client_for, role: str):  # type: ignore[no-untyped-def]
    """A signed-in client whose JSON posts carry the session's CSRF token, as the pages' scripts send it."""
    client = client_for(role)
    client.headers["X-CSRF-Token"] = csrf_of(client, "/templates" if role == "marketer" else "/players")
    return client


def _welcome(template_id: int) -> dict[str, Any]:
    document = copy.deepcopy(WELCOME)
    document["steps"]["nudge"]["template_id"] = template_id
    return document


def test_a_marketer_saves_a_journey_and_its_next_version(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    nudge = _template(engine, "nudge", "marketing")
    marketer = _client(client_for, "marketer")
    created = marketer.post(
        "/api/v1/journeys", json={"name": "Приветственная цепочка", "definition": _welcome(nudge)}
    )
    assert created.status_code == 201, created.text
    journey = created.json()
    assert (journey["status"], journey["version"]) == ("draft", 1)
    second = _welcome(nudge) | {"control_share": 0.2}
    saved = marketer.post(
        f"/api/v1/journeys/{journey['id']}/versions", json={"definition": second, "note": "20 %"}
    )
    assert saved.status_code == 201 and saved.json()["version"] == 2
    assert marketer.get(f"/api/v1/journeys/{journey['id']}").json()["definition"]["control_share"] == 0.2
    assert [j["name"] for j in marketer.get("/api/v1/journeys").json()] == ["Приветственная цепочка"]
    with transaction(engine) as session:
        assert [
            v.number for v in session.scalars(select(JourneyVersion).order_by(JourneyVersion.number))
        ] == [1, 2]
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("journey.%"))).all()
        assert actions == ["journey.create", "journey.save_version"]


def test_what_the_journey_names_in_the_store_is_checked(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    notice = _template(engine, "win_notice", "service")
    unpublished = _template(engine, "draft_only", "marketing", publish=False)
    marketer = _client(client_for, "marketer")
    wrong_class = marketer.post("/api/v1/journeys/check", json={"definition": _welcome(notice)}).json()
    assert wrong_class == {
        "valid": False,
        "problems": "steps.nudge: template win_notice is a service template; "
        "this journey sends marketing messages",
    }
    assert (
        "has no published version"
        in marketer.post("/api/v1/journeys/check", json={"definition": _welcome(unpublished)}).json()[
            "problems"
        ]
    )
    missing = _welcome(999_999)
    missing["entry"] = {"trigger": "segment_entered", "segment_id": 424242}
    refused = marketer.post("/api/v1/journeys", json={"name": "Без шаблона", "definition": missing})
    assert refused.status_code == 422 and refused.json()["code"] == "journey_invalid"
    assert "template 999999 does not exist" in refused.json()["detail"]
    assert "entry.segment_id: no segment 424242" in refused.json()["detail"]
    with transaction(engine) as session:
        assert session.scalars(select(Journey)).all() == []


def test_only_marketers_write_and_a_taken_name_is_refused(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    nudge = _template(engine, "nudge", "marketing")
    body = {"name": "Дни рождения", "definition": _welcome(nudge)}
    assert _client(client_for, "analyst").post("/api/v1/journeys", json=body).status_code == 403
    marketer = _client(client_for, "marketer")
    assert marketer.post("/api/v1/journeys", json=body).status_code == 201
    again = marketer.post("/api/v1/journeys", json=body)
    assert again.status_code == 409 and again.json()["code"] == "journey_name_taken"
    assert _client(client_for, "analyst").get("/api/v1/journeys").status_code == 200
    assert marketer.get("/api/v1/journeys/999").json()["code"] == "journey_not_found"


def test_an_approver_puts_a_version_live(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    nudge = _template(engine, "nudge", "marketing")
    marketer = _client(client_for, "marketer")
    runnable = runnable_welcome(nudge)  # no offer step: the engine does not give offers yet
    created = marketer.post("/api/v1/journeys", json={"name": "Первая покупка", "definition": runnable})
    url = f"/api/v1/journeys/{created.json()['id']}/live"
    assert marketer.post(url, json={"version": 1}).status_code == 403
    approver = client_for("approver")
    approver.headers["X-CSRF-Token"] = csrf_of(approver, "/templates")
    assert approver.post(url, json={"version": 2}).json()["code"] == "journey_not_found"
    put_live = approver.post(url, json={"version": 1})
    assert put_live.status_code == 200, put_live.text
    assert put_live.json()["status"] == "live"
    answer = marketer.get(f"/api/v1/journeys/{created.json()['id']}/results").json()
    assert answer["steps"] == [] and answer["lift"] is None
    assert answer["no_lift_because"] == "the treated and control arms have fewer than 2 players each"
