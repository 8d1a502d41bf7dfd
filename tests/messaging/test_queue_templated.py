"""Queueing messages to be rendered at dispatch (``queue_templated``): one row each with no text yet, the
contact history as ``queue_messages`` writes it, dedupe keys honoured across calls and within one, and a
call refused whole, nothing written, for a version that cannot speak for its permits."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine, func, select

from lottocrm.audit.service import Actor
from lottocrm.contact_policy import service as gate
from lottocrm.contact_policy.models import ContactHistory
from lottocrm.contact_policy.permits import Permit
from lottocrm.db.engine import transaction
from lottocrm.messaging import service
from lottocrm.messaging.models import Message
from lottocrm.messaging.service import MessagingError, Templated, queue_templated
from lottocrm.messaging.templates import service as templates
from lottocrm.messaging.templates.render import Bodies

# Tuesday 10 March 2026, noon and 23:30 in Moscow.
NOON = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
NIGHT = dt.datetime(2026, 3, 10, 20, 30, tzinfo=dt.UTC)
SMS = "{{ first_name }}, в субботу тираж!"
ACTOR = Actor("user:petrova")
EMAIL = {"email_subject": "Тираж", "email_text": "Тираж в субботу. Отписка: {{ unsubscribe_url }}"}


def _permit(
    engine: Engine, player_id: int, channel: str, at: dt.datetime = NOON, cls: str = "marketing"
) -> Permit:
    with transaction(engine) as session:
        decision = gate.decide(session, player_id=player_id, channel=channel, message_class=cls, at=at)
    assert decision.permit is not None, decision.reasons
    return decision.permit


def _counts(engine: Engine) -> tuple[int, int]:
    with transaction(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(Message)) or 0,
            session.scalar(select(func.count()).select_from(ContactHistory)) or 0,
        )


def test_rows_wait_for_their_text_and_the_history_says_permitted_or_held(
    templated_world, engine: Engine
) -> None:  # type: ignore[no-untyped-def]
    world = templated_world
    version_id = world.publish(sms_text=SMS)
    day, night = _permit(engine, world.known, "sms"), _permit(engine, world.unknown, "sms", at=NIGHT)
    with transaction(engine) as session:
        ids = queue_templated(
            session,
            [
                Templated(day, version_id, "offer:1", variant="B"),
                Templated(night, version_id, None),
            ],
            at=NOON,
        )
    with transaction(engine) as session:
        rows = {m.id: m for m in session.scalars(select(Message).where(Message.id.in_(ids)))}
        history = dict(
            session.execute(select(ContactHistory.message_id, ContactHistory.outcome).where(
                ContactHistory.message_id.in_(ids)
            )).all()
        )  # fmt: skip
    first, second = (rows[i] for i in ids)  # type: ignore[index]
    assert (first.body, first.subject, first.template_version_id, first.status) == (
        "",
        None,
        version_id,
        "queued",
    )
    assert first.extra == {"to_render": True, "variant": "B"} and second.extra == {"to_render": True}
    assert first.dedupe_key == "offer:1" and first.contact_point == day.contact_point
    assert second.not_before == night.not_before and second.next_attempt_at == night.not_before
    assert history == {first.id: "permitted", second.id: "held"}


def test_a_dedupe_key_queues_once_across_calls_and_within_one(  # type: ignore[no-untyped-def]
    templated_world, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = templated_world
    # Keys are looked up a chunk at a time: here one a statement, so a key in a later chunk is found too.
    monkeypatch.setattr(service, "KEYS_PER_STATEMENT", 1)
    version_id = world.publish(sms_text=SMS)
    known, unknown = _permit(engine, world.known, "sms"), _permit(engine, world.unknown, "sms")
    with transaction(engine) as session:
        first = queue_templated(session, [Templated(known, version_id, "c1:known")], at=NOON)
    with transaction(engine) as session:
        again = queue_templated(
            session,
            [
                Templated(unknown, version_id, "c1:unknown"),
                Templated(known, version_id, "c1:known"),  # queued by the first call, looked up second
                Templated(unknown, version_id, "c1:unknown"),  # twice in this call
                Templated(unknown, version_id, None),  # no key: always queued
            ],
            at=NOON,
        )
    assert first[0] is not None and again[1] is None and again[2] is None
    assert again[0] is not None and again[3] is not None and again[0] != again[3]
    assert _counts(engine) == (3, 3)  # one history row per message queued, none for the repeats


def test_five_thousand_items_in_one_call(templated_world, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    world = templated_world
    version_id = world.publish(sms_text=SMS)
    permit = _permit(engine, world.known, "sms")
    items = [Templated(permit, version_id, f"bulk:{n}", variant="AB"[n % 2]) for n in range(5_000)]
    with transaction(engine) as session:
        ids = queue_templated(session, items, at=NOON)
    assert len(set(ids)) == 5_000 and None not in ids
    with transaction(engine) as session:
        # Ids come back in the order of the items: the 4 000th row is the 4 000th key.
        assert session.get(Message, ids[3_999]).dedupe_key == "bulk:3999"  # type: ignore[union-attr]
    assert _counts(engine) == (5_000, 5_000)


def _draft(engine: Engine) -> int:
    with transaction(engine) as session:
        template = templates.create_template(
            session, actor=ACTOR, code="draft-only", name="Черновик", message_class="marketing"
        )
        draft = templates.save_draft(
            session, actor=ACTOR, template_id=template.id, bodies=Bodies(sms_text=SMS)
        )
        return draft.version.id


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("no_such_version", "template version 999999 does not exist"),
        ("draft", "is a draft: messages are rendered only from a published version"),
        ("other_class", "template 'notice' is for service messages, the permit for marketing"),
        ("no_text_for_channel", "has no text for the email channel"),
        ("not_a_permit", "a message needs a permit from the contact policy"),
    ],
)
def test_a_version_that_cannot_speak_for_its_permit_is_refused_and_nothing_is_written(  # type: ignore[no-untyped-def]
    templated_world, engine: Engine, case: str, message: str
) -> None:
    world = templated_world
    sms_only = world.publish(sms_text=SMS)
    good = Templated(_permit(engine, world.known, "sms"), sms_only, "good")
    permit: object = _permit(engine, world.unknown, "sms")
    version_id = sms_only
    if case == "no_such_version":
        version_id = 999_999
    elif case == "draft":
        version_id = _draft(engine)
    elif case == "other_class":
        version_id = world.publish(message_class="service", code="notice", sms_text=SMS)
    elif case == "no_text_for_channel":
        permit = _permit(engine, world.unknown, "email")
    elif case == "not_a_permit":
        permit = "a forged permit"
    with transaction(engine) as session, pytest.raises(MessagingError, match=message):
        queue_templated(session, [good, Templated(permit, version_id, "bad")], at=NOON)  # type: ignore[arg-type]
    assert _counts(engine) == (0, 0)


def test_an_email_version_queues_for_email_and_sms(templated_world, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    world = templated_world
    both = world.publish(sms_text=SMS, **EMAIL)
    items = [Templated(_permit(engine, world.known, channel), both, None) for channel in ("sms", "email")]
    with transaction(engine) as session:
        assert None not in queue_templated(session, items, at=NOON)
