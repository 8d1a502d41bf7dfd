"""The segments and campaigns API as its users reach it: the marketer saves and previews a segment and writes
a campaign, only an approver approves, an operator reaches none of it, and bad input is a 4xx that says
what and where."""

from __future__ import annotations

import datetime as dt

from helpers.web_app import csrf_of
from lottocrm import clock
from lottocrm.db.engine import transaction
from lottocrm.messaging import demo
from lottocrm.messaging.templates import service as templates

from .campaigns.helpers import AUTHOR

ADULTS = {"field": "profile.age", "op": "ge", "value": 18}


def _template(engine) -> int:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        template = templates.create_template(
            session, actor=AUTHOR, code="spring", name="Весна", message_class="marketing"
        )
        draft = templates.save_draft(session, actor=AUTHOR, template_id=template.id, bodies=demo.WELCOME)
        templates.publish_version(session, actor=AUTHOR, version_id=draft.version.id)
        return template.id


def test_the_marketer_saves_previews_and_drafts_and_an_approver_approves(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    marketer = client_for("marketer")
    headers = {"X-CSRF-Token": csrf_of(marketer, "/templates")}
    fields = marketer.get("/api/v1/segments/fields").json()
    assert {"profile.age", "churn.band", "contact.reachable"} <= {field["name"] for field in fields}
    created = marketer.post(
        "/api/v1/segments", json={"name": "Взрослые", "definition": ADULTS}, headers=headers
    )
    assert created.status_code == 201, created.text
    segment = created.json()
    preview = marketer.post(
        "/api/v1/segments/preview", json={"definition": ADULTS, "channel": "sms"}, headers=headers
    )
    assert preview.status_code == 200, preview.text
    assert preview.json()["size"] >= preview.json()["reachable"]
    why = marketer.get(f"/api/v1/segments/{segment['id']}/players/1001").json()
    assert why["known"] and [check["field"] for check in why["checks"]] == ["profile.age"]

    at = (clock.now() + dt.timedelta(days=1)).isoformat()
    document = {
        "channels": ["sms"],
        "variants": [{"name": "A", "template_id": _template(engine)}],
        "schedule": {"kind": "once", "at": at},
    }
    draft = marketer.post(
        "/api/v1/campaigns",
        json={"name": "Весна", "segment_id": segment["id"], "definition": document},
        headers=headers,
    )
    assert draft.status_code == 201, draft.text
    campaign_id = draft.json()["id"]
    assert (
        marketer.post(f"/api/v1/campaigns/{campaign_id}/approve", json={}, headers=headers).status_code == 403
    )

    approver = client_for("approver")
    approval = approver.post(
        f"/api/v1/campaigns/{campaign_id}/approve",
        json={"accept_small_control": True},
        headers={"X-CSRF-Token": csrf_of(approver, "/templates")},
    )
    assert approval.status_code == 200, approval.text
    assert approval.json()["campaign"]["status"] == "scheduled"
    assert marketer.get(f"/api/v1/campaigns/{campaign_id}/runs").json() == []


def test_bad_input_is_a_clear_refusal(client_for) -> None:  # type: ignore[no-untyped-def]
    marketer = client_for("marketer")
    headers = {"X-CSRF-Token": csrf_of(marketer, "/templates")}
    unknown = marketer.post(
        "/api/v1/segments",
        json={"name": "x", "definition": {"field": "nope", "op": "eq", "value": 1}},
        headers=headers,
    )
    assert unknown.status_code == 422 and "segment.field: unknown field 'nope'" in unknown.text
    wrong = marketer.post(
        "/api/v1/segments/preview",
        json={"definition": {"field": "profile.age", "op": "ge", "value": "old"}},
        headers=headers,
    )
    assert wrong.status_code == 422 and "takes a whole number" in wrong.text
    assert marketer.get("/api/v1/segments/99999999999").status_code == 404
    assert marketer.get("/api/v1/campaigns/99999999999999999999").status_code == 422
    assert marketer.post(
        "/api/v1/campaigns", json={"name": "x", "segment_id": 5, "definition": {}}, headers=headers
    ).status_code in (404, 422)


def test_an_operator_reaches_no_campaign(client_for) -> None:  # type: ignore[no-untyped-def]
    operator = client_for("operator")
    assert operator.get("/api/v1/campaigns").status_code == 403
    assert operator.get("/api/v1/segments/fields").status_code == 403


def test_boost_windows_are_added_by_an_approver_and_refused_with_their_fault(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    from .campaigns.helpers import segment

    interested = segment(engine, ADULTS, name="Играли в новогодний тираж")
    day = clock.operator_day()
    window = {
        "name": "Новый год",
        "first_day": (day + dt.timedelta(days=1)).isoformat(),
        "last_day": (day + dt.timedelta(days=7)).isoformat(),
        "extra_per_day": 1,
        "segment_id": interested,
    }
    marketer = client_for("marketer")
    marketer_headers = {"X-CSRF-Token": csrf_of(marketer, "/templates")}
    assert marketer.post("/api/v1/campaign-boosts", json=window, headers=marketer_headers).status_code == 403
    approver = client_for("approver")
    headers = {"X-CSRF-Token": csrf_of(approver, "/templates")}
    backwards = {**window, "last_day": day.isoformat()}
    refused = approver.post("/api/v1/campaign-boosts", json=backwards, headers=headers)
    assert refused.status_code == 422 and "before it starts" in refused.text
    added = approver.post("/api/v1/campaign-boosts", json=window, headers=headers)
    assert added.status_code == 201, added.text
    listed = marketer.get("/api/v1/campaign-boosts").json()
    assert [(item["name"], item["extra_per_day"]) for item in listed] == [("Новый год", 1)]
    removed = approver.delete(f"/api/v1/campaign-boosts/{added.json()['id']}", headers=headers)
    assert removed.status_code == 204
    assert marketer.get("/api/v1/campaign-boosts").json() == []


def test_behaviour_conditions_through_the_api(client_for) -> None:  # type: ignore[no-untyped-def]
    marketer = client_for("marketer")
    headers = {"X-CSRF-Token": csrf_of(marketer, "/templates")}
    fields = {field["name"]: field for field in marketer.get("/api/v1/segments/fields").json()}
    assert fields["behaviour.tickets"]["param_rule"] == "window"
    assert fields["behaviour.tickets"]["optional_params"] == ["days", "from", "to", "game"]
    assert fields["campaigns.responded"]["params"] == ["campaign"]
    played = {"field": "behaviour.tickets", "params": {"days": 3650, "game": 1}, "op": "ge", "value": 12}
    preview = marketer.post(
        "/api/v1/segments/preview", json={"definition": played, "channel": "sms"}, headers=headers
    )
    assert preview.status_code == 200 and preview.json()["size"] == 1, preview.text  # player 1001 alone
    unknown = {**played, "params": {"days": 30, "game": 77}}
    refused = marketer.post(
        "/api/v1/segments/preview", json={"definition": unknown, "channel": "sms"}, headers=headers
    )
    assert refused.status_code == 422 and refused.json()["code"] == "segment_invalid"
    assert "segment.params.game" in refused.json()["detail"], refused.text
    created = marketer.post(
        "/api/v1/segments", json={"name": "Двенадцать билетов", "definition": played}, headers=headers
    )
    why = marketer.get(f"/api/v1/segments/{created.json()['id']}/players/1001").json()
    assert why["member"] and why["checks"][0]["player_value"] == 12
