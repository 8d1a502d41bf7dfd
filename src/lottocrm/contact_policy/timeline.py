"""The contact history on the player's 360 timeline: every decision and outcome of every message."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm.contact_policy.explain import sentence
from lottocrm.contact_policy.models import ContactHistory
from lottocrm.contact_policy.reasons import Reason
from lottocrm.players.contrib import TimelineEntry
from lottocrm.presentation.values import Joined, Message, PanelValue, Sentence, Text


def _detail(row: ContactHistory) -> PanelValue:
    parts: list[PanelValue] = [Message(row.source_kind)]
    if row.source_id:
        parts.append(Text(row.source_id))
    if row.reason:
        parts.append(sentence(Reason(row.reason, row.detail or {})))
    return Joined(tuple(parts))


class ContactHistoryTimeline:
    name = "contact_policy.history"

    def entries(
        self, session: Session, *, player_id: int, before: dt.datetime | None, limit: int
    ) -> list[TimelineEntry]:
        query = (
            select(ContactHistory)
            .where(ContactHistory.player_id == player_id)
            .order_by(ContactHistory.at.desc(), ContactHistory.id.desc())
            .limit(limit)
        )
        if before is not None:
            query = query.where(ContactHistory.at <= before)
        return [
            TimelineEntry(
                at=row.at,
                domain="contact_policy",
                kind=f"message_{row.outcome}",
                title=Sentence(
                    "%(channel)s, %(message_class)s message: %(outcome)s",
                    (
                        ("channel", Message(row.channel)),
                        ("message_class", Message(row.message_class)),
                        ("outcome", Message(row.outcome, context="message outcome")),
                    ),
                ),
                detail=_detail(row),
                ref=f"message:{row.id:020d}",
            )
            for row in session.scalars(query)
        ]


CONTACT_HISTORY_TIMELINE = ContactHistoryTimeline()
