"""Cases on the player's 360 timeline (the ``players.contrib`` contract): each opening and change of state,
one query, newest first, linked to the case page."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm.contact_centre.cases.models import Case, CaseState, CaseStateChange, CaseType
from lottocrm.players.contrib import TimelineEntry
from lottocrm.presentation.values import Joined, Sentence, Text


class CaseTimeline:
    name = "contact_centre.cases"

    def entries(
        self, session: Session, *, player_id: int, before: dt.datetime | None, limit: int
    ) -> list[TimelineEntry]:
        query = (
            select(CaseStateChange, Case.subject, CaseType.label, CaseState.label)
            .join(Case, Case.id == CaseStateChange.case_id)
            .join(CaseType, CaseType.code == Case.case_type)
            .join(CaseState, CaseState.code == CaseStateChange.to_state)
            .where(Case.player_id == player_id)
            .order_by(CaseStateChange.at.desc(), CaseStateChange.id.desc())
            .limit(limit)
        )
        if before is not None:
            query = query.where(CaseStateChange.at <= before)
        return [
            TimelineEntry(
                at=change.at,
                domain="contact_centre",
                kind="case_opened" if change.from_state is None else "case_state",
                title=Sentence(
                    "Case %(case)s opened: %(type)s"
                    if change.from_state is None
                    else "Case %(case)s: %(state)s",
                    (("case", Text(str(change.case_id))), ("type", Text(type_label)), ("state", Text(state))),
                ),
                detail=Joined((Text(subject),)),
                ref=f"case_state:{change.id:020d}",
                link=f"/cases/{change.case_id}",
            )
            for change, subject, type_label, state in session.execute(query)
        ]


CASE_TIMELINE = CaseTimeline()
