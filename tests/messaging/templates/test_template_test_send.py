"""A test send from the editor through the real local gateways (SMPP and SMTP on loopback): it arrives,
it is audited with who, which version and where, it is marked as a test, and the hourly limit holds."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import Iterator
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from helpers.web_app import csrf_of
from lottocrm.audit.models import AuditEvent
from lottocrm.audit.service import Actor
from lottocrm.db.engine import transaction
from lottocrm.messaging.gateways.local import PASSWORD, SENDER, SYSTEM_ID, LocalGateways
from lottocrm.messaging.sandbox import SandboxMessage, SandboxRecorder
from lottocrm.messaging.templates import service as templates
from lottocrm.messaging.templates import test_send
from lottocrm.messaging.templates.render import Bodies

pytestmark = pytest.mark.slow
MARKETER = Actor("user:marketer")
BODIES = Bodies(
    sms_text="{{ first_name }}, тираж в субботу!",
    email_subject="{{ first_name }}, тираж в субботу",
    email_text="Здравствуйте, {{ first_name }}!",
    push_title="Тираж в субботу",
    push_body="{{ first_name }}, билеты — в приложении",
)


@pytest.fixture
def gateways(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxRecorder]:
    """The local SMSC and SMTP sink on their own event loop, and the channels' settings pointing at them."""
    recorder = SandboxRecorder(engine, interval=0.05)
    local = LocalGateways(recorder)
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(local.start(), loop).result(timeout=20)
    for name, value in {
        "LOTTOCRM_SMPP_HOST": local.smsc.host,
        "LOTTOCRM_SMPP_PORT": str(local.smsc.port),
        "LOTTOCRM_SMPP_SYSTEM_ID": SYSTEM_ID,
        "LOTTOCRM_SMPP_PASSWORD": PASSWORD,
        "LOTTOCRM_SMPP_SOURCE_ADDR": SENDER,
        "LOTTOCRM_SMTP_HOST": local.smtp.host,
        "LOTTOCRM_SMTP_PORT": str(local.smtp.port),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("LOTTOCRM_FCM_PROJECT", raising=False)
    try:
        yield recorder
    finally:
        asyncio.run_coroutine_threadsafe(local.stop(), loop).result(timeout=20)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        recorder.close()


def _draft(engine: Engine, *, publish: bool = False) -> int:
    with transaction(engine) as session:
        template = templates.create_template(
            session, actor=MARKETER, code="welcome", name="Приветствие", message_class="service"
        )
        version = templates.save_draft(
            session, actor=MARKETER, template_id=template.id, bodies=BODIES
        ).version
        if publish:
            templates.publish_version(session, actor=MARKETER, version_id=version.id)
        return version.id


def _send(client: TestClient, version_id: int, channel: str, address: str):  # type: ignore[no-untyped-def]
    data = {"csrf_token": csrf_of(client, "/templates"), "version_id": str(version_id)}
    return client.post(
        "/templates/welcome/test-send?lang=ru", data={**data, "channel": channel, "address": address}
    )


def _received(engine: Engine, count: int) -> list[SandboxMessage]:
    for _ in range(100):
        with transaction(engine) as session:
            rows = list(session.scalars(select(SandboxMessage).order_by(SandboxMessage.id)))
            session.expunge_all()
        if len(rows) >= count:
            return rows
        time.sleep(0.05)
    return rows


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def test_a_test_sms_and_e_mail_arrive_audited_and_marked(client_for, engine: Engine, gateways) -> None:  # type: ignore[no-untyped-def]
    version_id = _draft(engine)
    marketer = client_for("marketer")
    sms = _send(marketer, version_id, "sms", "8 (916) 000-11-22")
    assert sms.status_code == 200, _text(sms.text)
    assert "Версия 1 отправлена на +79160001122 (SMS); провайдер её принял." in _text(sms.text)
    email = _send(marketer, version_id, "email", "Staff@Lottery.example")
    assert email.status_code == 200, _text(email.text)
    received = _received(engine, 2)
    assert [(r.gateway, r.recipient) for r in received] == [
        ("sms", "+79160001122"),
        ("email", "staff@lottery.example"),
    ]
    # Rendered with the example values; the SMS as players get it, the e-mail marked as a test.
    assert received[0].text == "Константин, тираж в субботу!"
    assert received[1].subject == "[Тест] Константин, тираж в субботу"
    with transaction(engine) as session:
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "message_template.test_send")
            .order_by(AuditEvent.id)
        ).all()
        assert [
            (e.actor, e.detail["channel"], e.detail["to"], e.detail["version"], e.detail["test"])
            for e in events
        ] == [
            ("user:marketer", "sms", "+79160001122", 1, True),
            ("user:marketer", "email", "staff@lottery.example", 1, True),
        ]


def test_the_hourly_limit_stops_the_next_test(client_for, engine: Engine, gateways, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(test_send, "TESTS_PER_HOUR", 2)
    version_id = _draft(engine, publish=True)
    marketer = client_for("marketer")
    for _ in range(2):
        assert _send(marketer, version_id, "sms", "+79160001122").status_code == 200
    refused = _send(marketer, version_id, "sms", "+79160001122")
    assert refused.status_code == 429
    assert "за последний час уже отправлено тестовых сообщений: 2" in _text(refused.text)
    assert len(_received(engine, 3)) == 2
    # The limit is per person: an admin may still test.
    assert _send(client_for("admin"), version_id, "sms", "+79160001122").status_code == 200


BAD_ADDRESSES = {
    "not a phone": ("sms", "позвоните мне", "'позвоните мне' — не номер телефона"),
    "not an e-mail": ("email", "staff@", "'staff@' — не адрес e-mail"),
    "unknown channel": ("fax", "+79160001122", "тест отправляется по каналам SMS, e-mail, push, а не 'fax'"),
    "channel not configured": ("push", "fcm-token-1", "канал push на этом сервере не настроен"),
}


@pytest.mark.parametrize("case", sorted(BAD_ADDRESSES))
def test_a_bad_test_is_refused_unsent_and_unaudited(case: str, client_for, engine: Engine, gateways) -> None:  # type: ignore[no-untyped-def]
    version_id = _draft(engine)
    channel, address, expected = BAD_ADDRESSES[case]
    response = _send(client_for("marketer"), version_id, channel, address)
    assert response.status_code == 400
    assert expected in _text(response.text)
    with transaction(engine) as session:
        assert not session.scalars(
            select(AuditEvent).where(AuditEvent.action == "message_template.test_send")
        ).all()
    assert _received(engine, 1) == []


def test_a_version_without_the_channels_text_is_refused(client_for, engine: Engine, gateways) -> None:  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        template = templates.create_template(
            session, actor=MARKETER, code="welcome", name="Приветствие", message_class="service"
        )
        version_id = templates.save_draft(
            session, actor=MARKETER, template_id=template.id, bodies=Bodies(sms_text="Тираж в субботу")
        ).version.id
    response = _send(client_for("marketer"), version_id, "email", "staff@lottery.example")
    assert response.status_code == 400
    assert "в версии 1 шаблона 'welcome' нет текста для канала e-mail" in _text(response.text)
