"""The contact centre's JSON API through the real app, signed in per role: who may do what, who sees which
case, and bad input answered with a clear refusal and nothing saved."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, func, select

from helpers.web_app import csrf_of
from lottocrm.auth.models import ROLES, User
from lottocrm.contact_centre.cases.models import Case
from lottocrm.contact_centre.interactions.models import Interaction
from lottocrm.contact_centre.teams.models import Team, TeamMember
from lottocrm.db.engine import transaction

WORKERS = {"operator", "supervisor"}
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)


def _token(client) -> str:  # type: ignore[no-untyped-def]
    """The session's CSRF token, from a page this role may open."""
    for page in ("/players", "/dashboard", "/audit"):
        if client.get(page).status_code == 200:
            return csrf_of(client, page)
    raise AssertionError("no page to take a CSRF token from")


def _post(client, path: str, body: dict):  # type: ignore[no-untyped-def]
    return client.post(path, json=body, headers={"X-CSRF-Token": _token(client)})


def _put(client, path: str, body: dict):  # type: ignore[no-untyped-def]
    return client.put(path, json=body, headers={"X-CSRF-Token": _token(client)})


def _case_body(team: str = "support") -> dict:
    return {"player_id": 1001, "case_type": "app_payment", "subject": "Не прошла оплата", "team": team}


def _contact(**extra: object) -> dict:
    body = {"player_id": 1001, "channel": "chat", "direction": "inbound", "queue": "general"}
    return {**body, "started_at": NOW.isoformat(), **extra}


def _join(engine: Engine, username: str, team: str, role: str) -> None:
    with transaction(engine) as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
        team_id = session.scalar(select(Team.id).where(Team.code == team))
        session.add(TeamMember(team_id=team_id, user_id=user_id, role=role))


@pytest.mark.parametrize("role", ROLES)
def test_only_operators_and_supervisors_work_cases(role: str, client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for(role)
    opened = _post(client, "/api/v1/contact-centre/cases", _case_body())
    logged = _post(client, "/api/v1/contact-centre/interactions", _contact())
    hours = _put(
        client,
        "/api/v1/contact-centre/teams/night",
        {"name": "Ночная смена", "timezone": "Europe/Moscow", "hours": {"mon": ["22:00-24:00"]}},
    )
    expected = 201 if role in WORKERS else 403
    assert (opened.status_code, logged.status_code) == (expected, expected), (opened.text, logged.text)
    assert hours.status_code == (200 if role == "supervisor" else 403), hours.text


def test_anonymous_callers_are_asked_to_sign_in(anonymous) -> None:  # type: ignore[no-untyped-def]
    assert anonymous.get("/api/v1/contact-centre/cases").status_code == 401
    assert anonymous.post("/api/v1/contact-centre/cases", json=_case_body()).status_code == 401


def test_operators_see_their_own_and_their_teams_open_cases_supervisors_their_teams(  # type: ignore[no-untyped-def]
    client_for, engine: Engine
) -> None:
    operator, supervisor = client_for("operator"), client_for("supervisor")
    _join(engine, "operator", "support", "member")
    _join(engine, "supervisor", "payouts", "supervisor")
    own = _post(operator, "/api/v1/contact-centre/cases", _case_body()).json()["id"]
    payouts = _post(supervisor, "/api/v1/contact-centre/cases", _case_body("payouts")).json()["id"]
    # An unassigned case of the operator's team, for anyone in it to pick up.
    unassigned = _post(supervisor, "/api/v1/contact-centre/cases", _case_body()).json()["id"]
    assert (
        _post(supervisor, f"/api/v1/contact-centre/cases/{unassigned}/assign", {"owner_id": None}).status_code
        == 200
    )

    seen = [case["id"] for case in operator.get("/api/v1/contact-centre/cases").json()["cases"]]
    assert seen == [unassigned, own]
    assert operator.get(f"/api/v1/contact-centre/cases/{payouts}").status_code == 404
    assert supervisor.get(f"/api/v1/contact-centre/cases/{payouts}").status_code == 200
    assert supervisor.get(f"/api/v1/contact-centre/cases/{own}").status_code == 404

    page = operator.get("/api/v1/contact-centre/cases?limit=1").json()
    assert [case["id"] for case in page["cases"]] == [unassigned] and page["next_before"] == unassigned
    older = operator.get(f"/api/v1/contact-centre/cases?limit=1&before={unassigned}").json()
    assert [case["id"] for case in older["cases"]] == [own] and older["next_before"] is None


def _count(engine: Engine, table) -> int:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


def test_bad_input_gets_a_clear_refusal_and_saves_nothing(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    supervisor = client_for("supervisor")
    case_id = _post(supervisor, "/api/v1/contact-centre/cases", _case_body()).json()["id"]
    before = (_count(engine, Case), _count(engine, Interaction), _count(engine, Team))

    itself = _post(supervisor, f"/api/v1/contact-centre/cases/{case_id}/merge", {"into": case_id})
    assert itself.status_code == 409
    assert itself.json() == {
        "detail": f"case {case_id} cannot be merged into itself",
        "code": "merge_refused",
    }

    overlap = _put(
        supervisor,
        "/api/v1/contact-centre/teams/night",
        {"name": "Ночь", "timezone": "Europe/Moscow", "hours": {"tue": ["20:00-23:00", "22:00-24:00"]}},
    )
    assert overlap.status_code == 400
    assert overlap.json() == {
        "detail": "working hours on tue overlap: 20:00–23:00 and 22:00–24:00",
        "code": "overlapping_working_hours",
    }

    wrong_code = _post(
        supervisor,
        "/api/v1/contact-centre/interactions",
        _contact(channel="call", queue="payouts", wrap_code="suggestion", case_id=case_id),
    )
    assert wrong_code.status_code == 400
    assert wrong_code.json()["detail"] == "wrap-up code 'suggestion' is not offered in queue 'payouts'"
    assert (_count(engine, Case), _count(engine, Interaction), _count(engine, Team)) == before
    assert supervisor.get("/api/v1/contact-centre/cases/99999999999999999999").status_code == 422


def test_reading_a_contact_or_a_case_is_audited_and_follows_the_case(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    from lottocrm.audit.models import AuditEvent

    operator, supervisor = client_for("operator"), client_for("supervisor")
    case_id = _post(supervisor, "/api/v1/contact-centre/cases", _case_body("payouts")).json()["id"]
    on_case = _post(supervisor, "/api/v1/contact-centre/interactions", _contact(case_id=case_id)).json()["id"]
    loose = _post(supervisor, "/api/v1/contact-centre/interactions", _contact()).json()["id"]
    assert supervisor.get(f"/api/v1/contact-centre/interactions/{on_case}").status_code == 200
    assert supervisor.get(f"/api/v1/contact-centre/cases/{case_id}").status_code == 200
    # The operator is in none of the case's teams: the contact on it is as hidden as the case.
    assert operator.get(f"/api/v1/contact-centre/interactions/{on_case}").status_code == 404
    assert operator.get(f"/api/v1/contact-centre/interactions/{loose}").json()["channel"] == "chat"
    with transaction(engine) as session:
        looks = session.execute(
            select(AuditEvent.actor, AuditEvent.action).where(AuditEvent.action.like("contact_centre.%.view"))
        ).all()
    assert sorted(looks) == [
        ("user:operator", "contact_centre.interaction.view"),
        ("user:supervisor", "contact_centre.case.view"),
        ("user:supervisor", "contact_centre.interaction.view"),
    ]


def test_assigning_to_someone_who_is_not_staff_is_refused(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    supervisor = client_for("supervisor")
    case_id = _post(supervisor, "/api/v1/contact-centre/cases", _case_body()).json()["id"]
    refused = _post(supervisor, f"/api/v1/contact-centre/cases/{case_id}/assign", {"owner_id": 987654})
    assert refused.status_code == 404
    assert refused.json() == {"detail": "no active member of staff 987654", "code": "not_found"}
    assert supervisor.get(f"/api/v1/contact-centre/cases/{case_id}").json()["owner_id"] is not None
