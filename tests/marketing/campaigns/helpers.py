"""A campaign's world for tests: a published marketing template, a segment, and players with a record."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Engine, insert

from lottocrm.analytics.mart.models import PlayerAnalytics, PlayerAnalyticsWrite
from lottocrm.audit.service import Actor
from lottocrm.db.engine import transaction
from lottocrm.marketing.segments import service as segments
from lottocrm.messaging import demo
from lottocrm.messaging.templates import service as templates

AUTHOR, APPROVER = Actor("user:marketer"), Actor("user:approver")
LIFECYCLES = ("active", "vip", "at_risk")


def published_template(engine: Engine, *, code: str = "offer", message_class: str = "marketing") -> int:
    with transaction(engine) as session:
        template = templates.create_template(
            session, actor=AUTHOR, code=code, name="Предложение", message_class=message_class
        )
        draft = templates.save_draft(session, actor=AUTHOR, template_id=template.id, bodies=demo.WELCOME)
        templates.publish_version(session, actor=AUTHOR, version_id=draft.version.id)
        return template.id


def segment(engine: Engine, definition: Any, *, name: str = "Все") -> int:
    with transaction(engine) as session:
        return segments.create_segment(session, actor=AUTHOR, name=name, definition=definition).segment_id


def write_record(engine: Engine, player_ids: list[int], *, as_of: dt.date, bought_on: dt.date | None) -> None:
    rows = [
        {
            "as_of": as_of,
            "player_id": pid,
            "days_since_registration": 100,
            "frequency": 1,
            "tickets": 1,
            "monetary_kopecks": (pid * 7919) % 100_000,
            "spend_30d_kopecks": 0,
            "spend_90d_kopecks": 0,
            "wins_count": 0,
            "wins_kopecks": 0,
            "last_purchase_on": bought_on,
            "segment": LIFECYCLES[pid % 3],
        }
        for pid in player_ids
    ]
    with engine.begin() as connection:
        connection.execute(insert(PlayerAnalytics), rows)
        connection.execute(
            insert(PlayerAnalyticsWrite),
            [{"as_of": as_of, "event_id": "e", "players": len(rows), "written_at": dt.datetime.now(dt.UTC)}],
        )


def definition(template_id: int, *, at: dt.datetime, **more: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "channels": ["sms", "email"],
        "variants": [{"name": "A", "template_id": template_id}],
        "schedule": {"kind": "once", "at": at.isoformat()},
    }
    document.update(more)
    return document
