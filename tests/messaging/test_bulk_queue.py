"""The set-based queue of templated messages writes what the one-permit-at-a-time path writes for the same
players (outbox rows and contact-history rows, column by column), leaves the players quiet hours hold to
that path, and never queues a dedupe key twice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, String, cast, literal, select

from helpers.factories import IMPORT
from lottocrm import clock
from lottocrm.contact_policy.audience import issue_permits, released_now
from lottocrm.contact_policy.models import ContactHistory, contactability
from lottocrm.db.engine import transaction
from lottocrm.messaging import demo
from lottocrm.messaging.bulk_queue import queue_templated_rows
from lottocrm.messaging.models import Message
from lottocrm.messaging.service import Templated, queue_templated
from lottocrm.messaging.templates import service as templates

# 12:00 in Moscow, 21:00 in Kamchatka (inside its quiet hours).
AT = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
SKIP = {"id", "dedupe_key", "source_id", "message_id"}


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    with clock.frozen(AT):
        yield


def _version(engine: Engine) -> int:
    with transaction(engine) as session:
        template = templates.create_template(
            session, actor=IMPORT, code="bulk", name="Массовая", message_class="marketing"
        )
        draft = templates.save_draft(session, actor=IMPORT, template_id=template.id, bodies=demo.WELCOME)
        return templates.publish_version(session, actor=IMPORT, version_id=draft.version.id).id


def _rows(session, table: Any, source_id: str) -> list[dict[str, Any]]:  # type: ignore[no-untyped-def]
    found = session.execute(
        select(table).where(table.c.source_id == source_id).order_by(table.c.player_id)
    ).mappings()
    return [{key: value for key, value in row.items() if key not in SKIP} for row in found]


def test_both_paths_write_the_same_rows(engine: Engine, contactable) -> None:  # type: ignore[no-untyped-def]
    moscow = contactable(5)
    kamchatka = contactable(3, region="RU-KAM")
    version = _version(engine)
    everyone = select(contactability.c.player_id).where(contactability.c.player_id.in_(moscow + kamchatka))
    with transaction(engine) as session:
        released = released_now(
            session, players=everyone, channel="sms", message_class="marketing", source_kind="campaign"
        )
        assert sorted(released.held) == kamchatka
        now = released.rows.subquery()
        queued = queue_templated_rows(
            session,
            permitted=select(
                now.c.player_id,
                now.c.contact_point,
                now.c.consent_event_id,
                literal(version).label("template_version_id"),
                literal("A").label("variant"),
                (literal("sql:") + cast(now.c.player_id, String)).label("dedupe_key"),
            ),
            channel="sms",
            message_class="marketing",
            versions=[version],
            variants=["A"],
            source_kind="campaign",
            source_id="bulk",
            policy_version=released.policy_version,
            at=AT,
        )
        assert queued == len(moscow)
        permits = issue_permits(
            session,
            player_ids=moscow,
            channel="sms",
            message_class="marketing",
            source_kind="campaign",
            source_id="one",
            at=AT,
        )
        queue_templated(
            session,
            [Templated(permit, version, f"py:{permit.player_id}", variant="A") for permit in permits],
            at=AT,
        )
    with transaction(engine) as session:
        outbox, history = Message.__table__, ContactHistory.__table__
        assert _rows(session, outbox, "bulk") == _rows(session, outbox, "one")
        assert _rows(session, history, "bulk") == _rows(session, history, "one")
        assert len(_rows(session, outbox, "bulk")) == len(moscow)
    # A second call with the same keys queues nothing.
    with transaction(engine) as session:
        again = queue_templated_rows(
            session,
            permitted=select(
                contactability.c.player_id,
                contactability.c.phone.label("contact_point"),
                contactability.c.sms_consent_event.label("consent_event_id"),
                literal(version).label("template_version_id"),
                literal("A").label("variant"),
                (literal("sql:") + cast(contactability.c.player_id, String)).label("dedupe_key"),
            ).where(contactability.c.player_id.in_(moscow)),
            channel="sms",
            message_class="marketing",
            versions=[version],
            variants=["A"],
            source_kind="campaign",
            source_id="bulk",
            policy_version=released.policy_version,
            at=AT + dt.timedelta(minutes=1),
        )
        assert again == 0
