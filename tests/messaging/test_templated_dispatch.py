"""Messages queued with their template and rendered by the dispatcher: through the real local SMSC and SMTP
sink each arrives with its own player's values and a personal unsubscribe link signed for its real id,
which works; a message whose render fails (a template error for this player, an SMS over the part limit)
fails alone while its batch goes; a templated SMS held for quiet hours is rendered when released, and a
retry sends the words rendered the first time."""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import pytest
from sqlalchemy import Engine, select, update

from helpers.queries import statements
from lottocrm import clock
from lottocrm.contact_policy import service as gate
from lottocrm.contact_policy.models import ContactHistory, ContactTouch
from lottocrm.db.engine import transaction
from lottocrm.loyalty.models import LoyaltyAccount
from lottocrm.messaging import dispatch, unsubscribe
from lottocrm.messaging.channels.base import SendResult, TransportError
from lottocrm.messaging.gateways.local import LocalGateways
from lottocrm.messaging.models import Message
from lottocrm.messaging.sandbox import SandboxMessage, SandboxRecorder
from lottocrm.messaging.sender import Sender
from lottocrm.messaging.service import Templated, queue_templated
from lottocrm.players.models import Player
from lottocrm.settings import Settings

# Tuesday 10 March 2026: noon, 23:30 and the next morning in Moscow.
NOON = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
NIGHT = dt.datetime(2026, 3, 10, 20, 30, tzinfo=dt.UTC)
NBSP = "\u00a0"
OFFER = {
    "sms_text": (
        "{{ first_name }}, на счёте {{ loyalty_balance|points }}. "
        "{{ next_game }} {{ next_game_draw_date|date }}"
    ),
    "email_subject": "{{ first_name }}, тираж {{ next_game_draw_date|date }}",
    "email_text": (
        "{{ first_name }} {{ last_name }}, ваша игра: {{ favourite_game }}.\n"
        "Отписаться: {{ unsubscribe_url }}"
    ),
}


def _queue(
    engine: Engine, version_id: int, players: list[int], channels: tuple[str, ...]
) -> dict[tuple[int, str], int]:
    with transaction(engine) as session:
        keys, items = [], []
        for player_id in players:
            for channel in channels:
                decision = gate.decide(
                    session, player_id=player_id, channel=channel, message_class="marketing"
                )
                assert decision.permit is not None, decision.reasons
                keys.append((player_id, channel))
                items.append(
                    Templated(decision.permit, version_id, f"offer:{channel}:{player_id}", variant="A")
                )
        ids = queue_templated(session, items)
    assert None not in ids
    return dict(zip(keys, ids, strict=True))  # type: ignore[arg-type]


async def _send(engine: Engine, sms: int, limit: int = 500) -> dict[str, dispatch.BatchReport]:
    recorder = SandboxRecorder(engine, interval=0.05)
    gateways = LocalGateways(recorder)
    await gateways.start()
    try:
        async with Sender(engine, gateways.transports()) as sender:
            reports = await sender.drain(limit=limit)
            for _ in range(100):  # each SMS's receipt arrives on its own
                await sender.settled()
                if sender.inbound_applied >= sms:
                    break
                await asyncio.sleep(0.05)
            return reports
    finally:
        await gateways.stop()
        recorder.close()


def _received(engine: Engine) -> dict[tuple[str, str], SandboxMessage]:
    with transaction(engine) as session:
        return {(r.gateway, r.recipient): r for r in session.scalars(select(SandboxMessage))}


def _history(engine: Engine, message_id: int) -> list[tuple[str, str | None, dict | None]]:
    with transaction(engine) as session:
        rows = session.execute(
            select(ContactHistory.outcome, ContactHistory.reason, ContactHistory.detail)
            .where(ContactHistory.message_id == message_id)
            .order_by(ContactHistory.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_each_message_arrives_with_its_players_values_and_a_working_link(  # type: ignore[no-untyped-def]
    templated_world, engine: Engine, anonymous, settings: Settings
) -> None:
    world = templated_world
    version_id = world.publish(**OFFER)
    with clock.frozen(NOON):  # inside the sending hours, whenever the suite runs
        ids = _queue(engine, version_id, [world.known, world.unknown], ("sms", "email"))
        reports = asyncio.run(_send(engine, sms=2))
    assert reports["sms"].sent == 2 and reports["email"].sent == 2, reports
    received = _received(engine)
    known_sms = received[("sms", f"+7916{world.known:07d}")]
    assert known_sms.text == f"Ольга, на счёте 1{NBSP}251{NBSP}балл. Жилищная лотерея 14 марта"
    # What the stores do not know shows as nothing, through filters too.
    assert (
        received[("sms", f"+7916{world.unknown:07d}")].text == "Борис, на счёте .  "
    )  # points, game and date: none
    known_mail = received[("email", f"p{world.known}@example.ru")]
    assert known_mail.subject == "Ольга, тираж 14 марта"
    assert known_mail.text.startswith("Ольга Смирнова, ваша игра: Русское лото.\nОтписаться: http")
    unknown_mail = received[("email", f"p{world.unknown}@example.ru")]
    assert unknown_mail.subject == "Борис, тираж" and unknown_mail.text.startswith(
        "Борис Орлов, ваша игра: ."
    )
    with transaction(engine) as session:
        rows = {m.id: m for m in session.scalars(select(Message))}
    # The text is kept on the row as it was sent, its variant with it, the marker gone.
    email_row = rows[ids[(world.known, "email")]]
    assert email_row.body == known_mail.text
    assert email_row.subject == known_mail.subject and email_row.extra == {"variant": "A"}
    assert rows[ids[(world.known, "sms")]].body == known_sms.text
    assert {m.status for m in rows.values()} <= {"sent", "delivered"}
    # The link in the text is the one in the header: signed for this player, channel and message.
    link = re.search(r"(http\S+/unsubscribe/(\S+))", known_mail.text)
    assert link is not None and f"<{link.group(1)}>" == known_mail.detail["unsubscribe"]
    token = link.group(2)
    assert unsubscribe.read_token(unsubscribe.secret_key(settings), token) == unsubscribe.Unsubscribe(
        world.known, "email", email_row.id
    )
    done = anonymous.post(
        f"/unsubscribe/{token}?lang=ru",
        content="List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert done.status_code == 200 and "Готово" in done.text
    with transaction(engine) as session:
        decision = gate.decide(session, player_id=world.known, channel="email", message_class="marketing")
    assert decision.blocked_by == "consent_withdrawn"
    assert [outcome for outcome, _, _ in _history(engine, email_row.id)] == [
        "permitted",
        "sent",
        "unsubscribed",
    ]


def test_a_message_that_cannot_be_rendered_fails_alone(  # type: ignore[no-untyped-def]
    templated_world, engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = templated_world
    long_named, plain = world.others[0], world.others[1]
    # Fine with the example values (12 450 points, a short name), as the version was checked when published.
    version_id = world.publish(
        sms_text=(
            "{{ last_name }}{% if loyalty_balance is not none %}: {{ 10000 // loyalty_balance }}{% endif %}"
        )
    )
    with transaction(engine) as session:
        session.add(
            LoyaltyAccount(
                code="member:zero", kind="member", player_id=world.unknown, balance=0, created_at=NOON
            )
        )
        session.execute(update(Player).where(Player.id == long_named).values(last_name="Ж" * 90))
    monkeypatch.setenv("LOTTOCRM_SMS_MAX_PARTS", "1")
    with clock.frozen(NOON):
        ids = _queue(engine, version_id, [world.unknown, long_named, world.known, plain], ("sms",))
        # Two a batch: the first batch fails whole, and the dispatcher goes on to the next.
        reports = asyncio.run(_send(engine, sms=2, limit=2))
    assert (reports["sms"].sent, reports["sms"].failed) == (2, 2), reports
    received = _received(engine)
    assert received[("sms", f"+7916{world.known:07d}")].text == "Смирнова: 7"
    assert received[("sms", f"+7916{plain:07d}")].text == "Тестов"
    with transaction(engine) as session:
        rows = {m.id: m for m in session.scalars(select(Message))}
        kept = set(session.scalars(select(ContactTouch.message_id)))
    divided, too_long = rows[ids[(world.unknown, "sms")]], rows[ids[(long_named, "sms")]]
    assert divided.status == "failed" and divided.last_error.startswith("render_failed: sms_text, line 1:")
    assert "ZeroDivisionError" in divided.last_error and divided.body == ""
    assert (
        too_long.status == "failed"
        and too_long.last_error == "render_failed: sms_text: 2 parts, the limit is 1"
    )
    assert _history(engine, divided.id)[-1] == (
        "failed",
        "render_failed",
        {"why": "the template failed while rendering", "line": 1},
    )
    assert _history(engine, too_long.id)[-1] == (
        "failed",
        "render_failed",
        {"why": "the SMS is too long", "parts": 2, "limit": 1},
    )
    # Only the messages that left keep their places under the caps.
    assert kept == {ids[(world.known, "sms")], ids[(plain, "sms")]}


def _claim(engine: Engine, at: dt.datetime) -> tuple[list[dispatch.Claimed], dispatch.BatchReport]:
    report = dispatch.BatchReport()
    with transaction(engine) as session:
        return dispatch.claim(session, channel="sms", limit=100, report=report, now=at), report


def test_held_for_quiet_hours_it_is_rendered_when_released_and_a_retry_sends_the_same_words(  # type: ignore[no-untyped-def]
    templated_world, engine: Engine, settings: Settings
) -> None:
    world = templated_world
    version_id = world.publish(sms_text="{{ first_name }}, тираж скоро. Отписка: {{ unsubscribe_url }}")
    with clock.frozen(NOON):
        (message_id,) = _queue(engine, version_id, [world.known], ("sms",)).values()
    claimed, report = _claim(engine, NIGHT)
    assert claimed == [] and report.held == 1
    with transaction(engine) as session:
        held = session.get(Message, message_id)
        assert held is not None and held.body == "" and held.extra == {"to_render": True, "variant": "A"}
        morning = held.next_attempt_at
    (item,), _ = _claim(engine, morning)
    link = unsubscribe.link(settings, player_id=world.known, channel="sms", message_id=message_id)
    assert item.outgoing.body == f"Ольга, тираж скоро. Отписка: {link}"
    with transaction(engine) as session:
        dispatch.settle(
            session,
            [item],
            [SendResult(message_id, error=TransportError("busy", permanent=False, reason="throttled"))],
            report=report,
            now=morning,
        )
        # Renamed before the retry: the retry still says what the first attempt said.
        session.execute(update(Player).where(Player.id == world.known).values(first_name="Оля"))
    (retry,), _ = _claim(engine, morning + dt.timedelta(minutes=5))
    assert retry.outgoing.body == item.outgoing.body
    with transaction(engine) as session:
        row = session.get(Message, message_id)
        assert row is not None and row.body == item.outgoing.body and row.extra == {"variant": "A"}


def test_rendering_a_batch_takes_the_same_statements_for_one_message_or_many(  # type: ignore[no-untyped-def]
    templated_world, engine: Engine, settings: Settings
) -> None:
    world = templated_world
    version_id = world.publish(sms_text="{{ first_name }}: {{ next_game }} {{ loyalty_balance|points }}")
    counted = []
    for players in ([world.known], [world.unknown, *world.others]):
        with clock.frozen(NOON):
            _queue(engine, version_id, players, ("sms",))
        with statements() as sent:
            claimed, _ = _claim(engine, NOON)
        assert len(claimed) == len(players) and all(item.outgoing.body for item in claimed)
        counted.append(len(sent))
    assert counted[0] == counted[1]


def test_a_subject_longer_than_the_outbox_keeps_fails_its_message(  # type: ignore[no-untyped-def]
    templated_world, engine: Engine, settings: Settings
) -> None:
    world = templated_world
    version_id = world.publish(
        email_subject="{{ last_name }} {{ last_name }} {{ last_name }} {{ last_name }}",
        email_text="Тираж в субботу. Отписаться: {{ unsubscribe_url }}",
    )
    with transaction(engine) as session:
        session.execute(update(Player).where(Player.id == world.unknown).values(last_name="Ж" * 90))
    with clock.frozen(NOON):
        ids = _queue(engine, version_id, [world.known, world.unknown], ("email",))
    report = dispatch.BatchReport()
    with transaction(engine) as session:
        claimed = dispatch.claim(session, channel="email", limit=10, report=report, now=NOON)
    assert [item.outgoing.subject for item in claimed] == ["Смирнова Смирнова Смирнова Смирнова"]
    assert report.failed == 1
    with transaction(engine) as session:
        failed = session.get(Message, ids[(world.unknown, "email")])
    assert failed is not None and failed.status == "failed"
    assert failed.last_error == "render_failed: email_subject: 363 characters, the limit is 300"
