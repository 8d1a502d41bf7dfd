"""The players domain's own timeline sources: consent changes and contact changes.

Contact values are not shown on the timeline (its readers include roles that see personal data masked);
the entry says what kind of contact changed, when and by whom.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, literal, select, union_all
from sqlalchemy.orm import Session

from lottocrm.players.contrib import TimelineEntry
from lottocrm.players.models import ConsentEvent, FormerIdentity, PlayerIdentity
from lottocrm.players.profile import SHOWN_IDENTITY_KINDS
from lottocrm.presentation.values import Joined, Message, Sentence, Text


class ConsentTimeline:
    name = "players.consents"

    def entries(
        self, session: Session, *, player_id: int, before: dt.datetime | None, limit: int
    ) -> list[TimelineEntry]:
        query = (
            select(ConsentEvent)
            .where(ConsentEvent.player_id == player_id)
            .order_by(ConsentEvent.occurred_at.desc(), ConsentEvent.id.desc())
            .limit(limit)
        )
        if before is not None:
            query = query.where(ConsentEvent.occurred_at <= before)
        return [
            TimelineEntry(
                at=event.occurred_at,
                domain="players",
                kind="consent_granted" if event.granted else "consent_withdrawn",
                title=Sentence(
                    "Consent granted: %(purpose)s, %(channel)s"
                    if event.granted
                    else "Consent withdrawn: %(purpose)s, %(channel)s",
                    (("purpose", Message(event.purpose)), ("channel", Message(event.channel))),
                ),
                detail=Joined((Message(event.source), Text(event.notice_version))),
                ref=f"consent:{event.id:020d}",
            )
            for event in session.scalars(query)
        ]


_CONTACT_TITLES = {
    "added": "Contact added: %(kind)s",
    "removed": "Contact removed: %(kind)s",
    "replaced": "Contact replaced: %(kind)s",
}


class ContactTimeline:
    """Contacts added (still held, or since removed) and contacts removed or replaced, in one query."""

    name = "players.contacts"

    def entries(
        self, session: Session, *, player_id: int, before: dt.datetime | None, limit: int
    ) -> list[TimelineEntry]:
        # part: which of the three selects a row comes from; (part, id) orders ties as the refs sort.
        live = select(
            PlayerIdentity.created_at.label("at"),
            literal("added").label("change"),
            PlayerIdentity.kind,
            literal(None, String).label("actor"),
            literal(0).label("part"),
            PlayerIdentity.id,
        ).where(PlayerIdentity.player_id == player_id, PlayerIdentity.kind.in_(SHOWN_IDENTITY_KINDS))
        former_added = select(
            FormerIdentity.added_at,
            literal("added"),
            FormerIdentity.kind,
            literal(None, String),
            literal(1),
            FormerIdentity.id,
        ).where(FormerIdentity.player_id == player_id)
        former_changed = select(
            FormerIdentity.changed_at,
            FormerIdentity.change,
            FormerIdentity.kind,
            FormerIdentity.changed_by,
            literal(2),
            FormerIdentity.id,
        ).where(FormerIdentity.player_id == player_id)
        if before is not None:
            live = live.where(PlayerIdentity.created_at <= before)
            former_added = former_added.where(FormerIdentity.added_at <= before)
            former_changed = former_changed.where(FormerIdentity.changed_at <= before)
        changes = union_all(live, former_added, former_changed).subquery()
        rows = session.execute(
            select(changes)
            .order_by(changes.c.at.desc(), changes.c.part.desc(), changes.c.id.desc())
            .limit(limit)
        )
        return [
            TimelineEntry(
                at=row.at,
                domain="players",
                kind=f"contact_{row.change}",
                title=Sentence(_CONTACT_TITLES[row.change], (("kind", Message(row.kind)),)),
                detail=Text(row.actor) if row.actor else None,
                ref=f"contact:{row.part}:{row.id:020d}",
            )
            for row in rows
        ]


CONSENT_TIMELINE = ConsentTimeline()
CONTACT_TIMELINE = ContactTimeline()
