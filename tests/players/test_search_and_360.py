"""Search by every kind of identifier, the 360 view, masking, edits with reasons, and their audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from helpers.factories import IMPORT
from helpers.web_app import csrf_of
from lottocrm.audit.models import AuditEvent
from lottocrm.db.engine import transaction
from lottocrm.loyalty.ledger.accounts import member_account
from lottocrm.players.models import ConsentEvent, PlayerIdentity
from lottocrm.players.schemas import mask_email, mask_phone


@pytest.mark.parametrize(
    "query",
    [
        "8 916 123 45 12",
        "+7 (916) 123-45-12",
        "916 123-45-12",
        "89161234512",
        "+79161234512",
        "PETR.FEDOROV@MAIL.RU",
        "9643100012345678",
        "1001",
        "федоров",
        "ФЁДОРОВ",
        "Фёдоров Пётр",
        "федоров петр алексеевич",
        "пётр алекс",
        "алексеевич",
    ],
)
def test_search_finds_the_player_however_the_caller_says_it(query: str, client_for) -> None:  # type: ignore[no-untyped-def]
    hits = client_for("operator").get("/api/v1/players", params={"q": query}).json()["hits"]
    assert [h["player_id"] for h in hits] == [1001], query


def test_search_by_name_is_partial_and_returns_several(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("operator")
    ids = {h["player_id"] for h in client.get("/api/v1/players", params={"q": "ов"}).json()["hits"]}
    assert ids == {1001, 1002, 1003}
    assert client.get("/api/v1/players", params={"q": "Сидоров"}).json()["hits"] == []


def test_search_page_and_htmx_partial(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("operator")
    page = client.get("/players", params={"q": "903 555 44 33"})
    assert page.status_code == 200 and "Иванова" in page.text and "<html" in page.text
    partial = client.get("/players", params={"q": "903 555 44 33"}, headers={"HX-Request": "true"})
    assert "Иванова" in partial.text and "<html" not in partial.text
    assert "Self-excluded" in partial.text or "Самоисключ" in partial.text


def test_search_is_audited_without_the_query_text(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    client_for("operator").get("/api/v1/players", params={"q": "+7 916 123 45 12"})
    with transaction(engine) as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "player.search"))
        assert event is not None and event.actor == "user:operator"
        assert event.detail == {"kind": "number", "shown": [1001]}
        assert "916" not in str(event.detail)


def test_player_360_shows_everything_to_the_operator(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    client = client_for("operator")
    view = client.get("/api/v1/players/1001").json()
    assert view["name"] == "Фёдоров Пётр Алексеевич" and not view["masked"]
    assert {i["value"] for i in view["identities"]} == {
        "+79161234512",
        "petr.fedorov@mail.ru",
        "9643100012345678",
    }
    assert {(c["purpose"], c["channel"]) for c in view["consents"]} == {
        ("personal_data", "web"),
        ("advertising", "sms"),
        ("advertising", "email"),
    }
    activity = view["activity"]
    assert activity["tickets_total"] == 18 and activity["spend_total_kopecks"] == 12 * 10000 + 6 * 5000
    assert activity["wins_total"] == 1 and activity["wins"][0]["amount_kopecks"] == 150000
    assert activity["tickets"][0]["sold_at"].startswith("2026-06-12")
    html = client.get("/players/1001").text
    assert "1\xa0500,00\xa0₽" in html  # ru-RU money: no-break spaces, comma, the rouble sign
    assert "12.06.2026 15:00" in html  # ru-RU date, Moscow time
    with transaction(engine) as session:
        assert (
            session.scalar(
                select(func.count()).where(AuditEvent.action == "player.view", AuditEvent.player_id == 1001)
            )
            == 2
        )


def test_responsible_gaming_state_is_prominent(client_for) -> None:  # type: ignore[no-untyped-def]
    html = client_for("operator").get("/players/1002").text
    assert 'class="rg-alert"' in html and "самоисключение" in html and "self_exclusion" not in html


def test_analyst_sees_personal_data_masked(client_for) -> None:  # type: ignore[no-untyped-def]
    client = client_for("analyst")
    view = client.get("/api/v1/players/1001").json()
    assert view["masked"] and view["name"] == "Ф. П. А." and view["birth_date"] is None
    values = {i["kind"]: i["value"] for i in view["identities"]}
    assert values == {"phone": "+7 9** ***-**-12", "email": "p***@m***.ru", "card": "************5678"}
    html = client.get("/players/1001").text
    assert "+79161234512" not in html and "petr.fedorov" not in html and "Фёдоров" not in html
    hits = client.get("/api/v1/players", params={"q": "Фёдоров"}).json()["hits"]
    assert hits[0]["name"] == "Ф. П. А."


def test_masks() -> None:
    assert mask_phone("+79161234512") == "+7 9** ***-**-12"
    assert mask_email("ivan.petrov@mail.ru") == "i***@m***.ru"


def test_unknown_player_and_unauthorised_role_both_get_404(client_for) -> None:  # type: ignore[no-untyped-def]
    assert client_for("operator").get("/players/999999").status_code == 404
    marketer = client_for("marketer")
    assert marketer.get("/players/1001").status_code == 404
    assert marketer.get("/players/999999").status_code == 404


def test_operator_changes_a_consent_with_a_reason(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    client = client_for("operator")
    csrf = csrf_of(client, "/players/1001")
    response = client.post(
        "/players/1001/consents",
        data={
            "csrf_token": csrf,
            "purpose": "advertising",
            "channel": "sms",
            "granted": "no",
            "reason": "игрок попросил не присылать SMS",
        },
    )
    assert response.status_code == 303
    view = client.get("/api/v1/players/1001").json()
    sms = [c for c in view["consents"] if (c["purpose"], c["channel"]) == ("advertising", "sms")][0]
    assert sms["granted"] is False and sms["source"] == "call_centre"
    assert len(view["consent_history"]) == 4
    with transaction(engine) as session:
        event = session.scalar(
            select(AuditEvent).where(
                AuditEvent.action == "player.consent.change", AuditEvent.actor != IMPORT.name
            )
        )
        assert event is not None and event.player_id == 1001 and event.actor == "user:operator"
        assert (
            event.detail["reason"] == "игрок попросил не присылать SMS" and event.detail["granted"] is False
        )
    assert "игрок попросил не присылать SMS" in client.get("/players/1001").text


def test_consent_change_without_a_reason_changes_nothing(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    client = client_for("operator")
    csrf = csrf_of(client, "/players/1001")
    for reason in ("", "  ", "x" * 501):
        response = client.post(
            "/players/1001/consents",
            data={
                "csrf_token": csrf,
                "purpose": "advertising",
                "channel": "sms",
                "granted": "no",
                "reason": reason,
            },
        )
        assert response.status_code == 400 and "reason" in response.text
    with transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(ConsentEvent)) == 3
        changes = select(func.count()).where(
            AuditEvent.action.like("player.consent%"), AuditEvent.actor != IMPORT.name
        )
        assert session.scalar(changes) == 0


def test_operator_adds_a_contact_and_cannot_steal_anothers(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    client = client_for("operator")
    csrf = csrf_of(client, "/players/1003")
    ok = client.post(
        "/players/1003/identities",
        data={"csrf_token": csrf, "kind": "phone", "value": "8 (926) 000-11-22", "reason": "новый номер"},
    )
    assert ok.status_code == 303
    taken = client.post(
        "/players/1003/identities",
        data={"csrf_token": csrf, "kind": "phone", "value": "+7 916 123 45 12", "reason": "ошибка"},
    )
    assert taken.status_code == 409
    bad = client.post(
        "/players/1003/identities",
        data={"csrf_token": csrf, "kind": "phone", "value": "12", "reason": "опечатка"},
    )
    assert bad.status_code == 400
    with transaction(engine) as session:
        phones = session.scalars(select(PlayerIdentity.value).where(PlayerIdentity.player_id == 1003)).all()
        assert phones == ["+79260001122"]
        event = session.scalar(
            select(AuditEvent).where(AuditEvent.action == "player.identity.add", AuditEvent.player_id == 1003)
        )
        assert event is not None and event.detail["value"] == "+7 9** ***-**-22"


def test_result_lists_mask_contacts_even_for_operators(client_for) -> None:  # type: ignore[no-untyped-def]
    hits = client_for("operator").get("/api/v1/players", params={"q": "Фёдоров"}).json()["hits"]
    assert hits[0]["name"] == "Фёдоров Пётр Алексеевич"
    assert {i["value"] for i in hits[0]["identities"]} == {
        "+7 9** ***-**-12",
        "p***@m***.ru",
        "************5678",
    }


def test_loyalty_panel_appears_only_when_the_player_has_an_account(client_for, engine) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        member_account(session, 1001)
    client = client_for("operator")
    # Every player has the contact policy's panel; only members have the loyalty panel.
    panels = {p["key"]: p for p in client.get("/api/v1/players/1001").json()["panels"]}
    assert list(panels) == ["contactable", "loyalty"] and ["Balance", "0"] in panels["loyalty"]["rows"]
    others = client.get("/api/v1/players/1003").json()["panels"]
    assert [p["key"] for p in others] == ["contactable"]
    assert "panel-loyalty" in client.get("/players/1001").text
