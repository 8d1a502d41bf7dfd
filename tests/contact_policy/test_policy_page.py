"""The policy page: everyone who plans messages reads it, only an admin puts a new version in force, a bad
cell is refused by name, and the gate uses the new version at once."""

from __future__ import annotations

from sqlalchemy import Engine, select

from helpers.web_app import csrf_of
from lottocrm.audit.models import AuditEvent
from lottocrm.contact_policy import form as policy_form
from lottocrm.contact_policy.document import DEFAULT_POLICY
from lottocrm.contact_policy.service import current_policy
from lottocrm.db.engine import transaction


def _form(client, **changes: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    values = dict(policy_form.to_grid(DEFAULT_POLICY).values)
    values.update(changes)
    return {**values, "csrf_token": csrf_of(client, "/contact-policy"), "note": "двойной тираж"}


def test_an_admin_puts_a_new_version_in_force(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    admin = client_for("admin")
    page = admin.get("/contact-policy?lang=ru")
    assert page.status_code == 200 and "Действует встроенная политика" in page.text
    response = admin.post(
        "/contact-policy", data=_form(admin, **{"cap.player.sms.7d": "2", "cap.player.push.24h": ""})
    )
    assert response.status_code == 303
    with transaction(engine) as session:
        version, policy = current_policy(session)
        assert version == 1
        sms_week = [r for r in policy.caps if (r.channel, r.per, r.window) == ("sms", "player", "7d")]
        assert [r.limit for r in sms_week] == [2]
        assert not [r for r in policy.caps if r.channel == "push"]
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "contact_policy.change")).one()
        assert event.detail["note"] == "двойной тираж" and event.detail["previous_version"] == 0
    page = admin.get("/contact-policy?lang=ru").text
    assert "Действует версия 1." in page and "двойной тираж" in page


def test_a_bad_cell_is_refused_by_its_place(client_for, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    admin = client_for("admin")
    response = admin.post(
        "/contact-policy?lang=ru", data=_form(admin, **{"hours.sms.marketing.working": "21:00-09:00"})
    )
    assert response.status_code == 400
    assert "SMS, рекламное, рабочие дни: часы отправки пишутся как 09:00-21:00" in response.text
    response = admin.post("/contact-policy?lang=ru", data=_form(admin, **{"cap.player.email.7d": "три"}))
    assert "e-mail, на игрока, 7 дней: лимит — целое число от 1 до 1000" in response.text
    with transaction(engine) as session:
        assert current_policy(session)[0] == 0


def test_a_marketer_reads_but_cannot_change(client_for) -> None:  # type: ignore[no-untyped-def]
    marketer = client_for("marketer")
    page = marketer.get("/contact-policy")
    assert page.status_code == 200 and "Put in force" not in page.text
    assert marketer.post("/contact-policy", data=_form(marketer)).status_code == 403
    assert client_for("operator").get("/contact-policy").status_code == 403
