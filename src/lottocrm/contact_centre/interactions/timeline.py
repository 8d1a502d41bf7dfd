"""Contacts on the player's 360 timeline (the ``players.contrib`` contract): one query, newest first."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from lottocrm.contact_centre.interactions.models import Interaction
from lottocrm.contact_centre.teams.models import Queue, WrapCode
from lottocrm.players.contrib import TimelineEntry
from lottocrm.presentation.values import Joined, Message, Number, PanelValue, Sentence, Text

# The timeline shows the start of a note; the interaction keeps all of it.
NOTE_PREVIEW = 200


def _detail(row: Interaction, queue_label: str | None, operator: str) -> PanelValue:
    parts: list[PanelValue] = [
        Text(queue_label or row.queue),
        Text(operator),
        Sentence(
            "talk %(talk)s s, hold %(hold)s s, after-call work %(acw)s s",
            (
                ("talk", Number(row.talk_seconds)),
                ("hold", Number(row.hold_seconds)),
                ("acw", Number(row.acw_seconds)),
            ),
        ),
    ]
    if row.case_id is not None:
        parts.append(Sentence("case %(case)s", (("case", Text(str(row.case_id))),)))
    if row.notes:
        parts.append(Text(row.notes[:NOTE_PREVIEW] + ("…" if len(row.notes) > NOTE_PREVIEW else "")))
    return Joined(tuple(parts))


class InteractionTimeline:
    name = "contact_centre.interactions"

    def entries(
        self, session: Session, *, player_id: int, before: dt.datetime | None, limit: int
    ) -> list[TimelineEntry]:
        query = (
            select(Interaction, Queue.label, WrapCode.label)
            .join(Queue, Queue.code == Interaction.queue)
            .outerjoin(
                WrapCode, and_(WrapCode.queue == Interaction.queue, WrapCode.code == Interaction.wrap_code)
            )
            .where(Interaction.player_id == player_id)
            .order_by(Interaction.started_at.desc(), Interaction.id.desc())
            .limit(limit)
        )
        if before is not None:
            query = query.where(Interaction.started_at <= before)
        return [
            TimelineEntry(
                at=row.started_at,
                domain="contact_centre",
                kind=f"interaction_{row.channel}",
                title=Sentence(
                    "%(channel)s, %(direction)s: %(reason)s",
                    (
                        ("channel", Message(row.channel)),
                        ("direction", Message(row.direction)),
                        ("reason", Text(wrap_label) if wrap_label else Message("no wrap-up code")),
                    ),
                ),
                detail=_detail(row, queue_label, row.operator),
                ref=f"interaction:{row.id:020d}",
            )
            for row, queue_label, wrap_label in session.execute(query)
        ]


INTERACTION_TIMELINE = InteractionTimeline()
