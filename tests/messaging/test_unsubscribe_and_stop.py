"""Withdrawals that come back from messages: the signed unsubscribe link (page and RFC 8058 one-click) and
an SMS "STOP". Each lands in the consent ledger and stops the next message at the gate."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select

from lottocrm import clock
from lottocrm.contact_policy import service as gate
from lottocrm.contact_policy.models import ContactHistory
from lottocrm.db.engine import transaction
from lottocrm.messaging import inbound, unsubscribe
from lottocrm.messaging.channels.base import InboundText
from lottocrm.messaging.service import Content, Outgoing, queue_messages
from lottocrm.players.models import ConsentEvent

KEY = b"k" * 32


def _queued(engine: Engine, player_id: int, channel: str = "email") -> int:
    with transaction(engine) as session:
        decision = gate.decide(session, player_id=player_id, channel=channel, message_class="marketing")
        assert decision.permit is not None, decision.reasons
        (message_id,) = queue_messages(session, [Outgoing(decision.permit, Content(body="Новый тираж!"))])
    assert message_id is not None
    return message_id


def test_a_token_is_signed_and_a_forged_one_is_refused() -> None:
    token = unsubscribe.make_token(KEY, player_id=1001, channel="email", message_id=5)
    assert unsubscribe.read_token(KEY, token) == unsubscribe.Unsubscribe(1001, "email", 5)
    for forged in (
        token.replace(".1001.", ".1002."),
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        "1.1001.email.5",
        "garbage",
        unsubscribe.make_token(b"x" * 32, player_id=1001, channel="email", message_id=5),
    ):
        with pytest.raises(unsubscribe.ForgedToken, match="not valid"):
            unsubscribe.read_token(KEY, forged)


def test_the_link_withdraws_once_and_the_gate_stops_the_next_message(app, anonymous, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    message_id = _queued(engine, 1001)
    key = unsubscribe.secret_key(app.state.settings)
    token = unsubscribe.make_token(key, player_id=1001, channel="email", message_id=message_id)
    _use_the_link(anonymous, engine, token, message_id)  # a player, not signed in


def _use_the_link(client: TestClient, engine: Engine, token: str, message_id: int) -> None:
    page = client.get(f"/unsubscribe/{token}?lang=ru")
    assert page.status_code == 200 and "Отписаться" in page.text and "e-mail" in page.text
    with transaction(engine) as session:  # a GET (a mail scanner following the link) withdraws nothing
        assert gate.decide(session, player_id=1001, channel="email", message_class="marketing").allowed
    # RFC 8058 one-click: a POST with no cookie and no form token.
    done = client.post(
        f"/unsubscribe/{token}?lang=ru",
        content="List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200 and "Готово" in done.text
    again = client.post(f"/unsubscribe/{token}?lang=ru", data={})
    assert "уже отписались" in again.text
    with transaction(engine) as session:
        events = session.scalars(
            select(ConsentEvent).where(
                ConsentEvent.player_id == 1001, ConsentEvent.source == "unsubscribe_link"
            )
        ).all()
        assert [(e.purpose, e.channel, e.granted) for e in events] == [("advertising", "email", False)]
        decision = gate.decide(session, player_id=1001, channel="email", message_class="marketing")
        assert decision.blocked_by == "consent_withdrawn"
        outcomes = session.scalars(
            select(ContactHistory.outcome)
            .where(ContactHistory.message_id == message_id)
            .order_by(ContactHistory.id)
        ).all()
        assert outcomes == ["permitted", "unsubscribed"]
    assert client.get(f"/unsubscribe/{token[:-3]}xyz").status_code == 404


def test_stop_by_sms_withdraws_sms_advertising_for_the_phone(seeded, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    _queued(engine, 1001, channel="sms")
    with transaction(engine) as session:
        inbound.apply(
            session,
            InboundText(sender="8 916 123-45-12", recipient="LOTTO", text=" Стоп! ", received_at=clock.now()),
            channel="sms",
        )
        inbound.apply(
            session,
            InboundText(
                sender="+79161234512", recipient="LOTTO", text="когда тираж?", received_at=clock.now()
            ),
            channel="sms",
        )
    with transaction(engine) as session:
        decision = gate.decide(session, player_id=1001, channel="sms", message_class="marketing")
        assert decision.blocked_by == "consent_withdrawn"
        sources = session.scalars(select(ConsentEvent.source).where(ConsentEvent.source == "sms_reply")).all()
        assert sources == ["sms_reply"]
        # E-mail advertising is untouched.
        assert gate.decide(session, player_id=1001, channel="email", message_class="marketing").allowed


def test_queueing_needs_a_permit_and_a_key_queues_once(seeded, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    from lottocrm.messaging.service import MessagingError

    with transaction(engine) as session:
        decision = gate.decide(session, player_id=1001, channel="email", message_class="marketing")
        item = Outgoing(decision.permit, Content(body="Привет"), dedupe_key="campaign:1:1001")
        first = queue_messages(session, [item])
        second = queue_messages(session, [item])
        assert first[0] is not None and second == [None]
        with pytest.raises(MessagingError, match="permit"):
            queue_messages(session, [Outgoing(object(), Content(body="x"))])  # type: ignore[arg-type]
        with pytest.raises(MessagingError, match="body"):
            queue_messages(session, [Outgoing(decision.permit, Content(body="  "))])
