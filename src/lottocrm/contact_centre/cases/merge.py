"""Merging a case into another: the same problem reported twice becomes one case.

The source case's interactions and links move to the target and the source is left in the merged state,
pointing at the target; its history stays. Everything is checked before anything is written, so a refused
merge changes nothing.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.service import Actor, record
from lottocrm.contact_centre.cases.facts import replay
from lottocrm.contact_centre.cases.models import CaseLink, CaseState
from lottocrm.contact_centre.cases.service import get_case, state_of, write_history
from lottocrm.contact_centre.errors import MergeRefused
from lottocrm.contact_centre.interactions.models import Interaction
from lottocrm.contact_centre.sla import service as sla


def _merged_state(session: Session) -> str:
    code = session.scalar(
        select(CaseState.code).where(CaseState.state_type == "merged").order_by(CaseState.code)
    )
    if code is None:
        raise MergeRefused("no case state of type merged is set up")
    return code


def merge(session: Session, *, actor: Actor, source_id: int, target_id: int) -> None:
    if source_id == target_id:
        raise MergeRefused("case %(case_id)s cannot be merged into itself", case_id=source_id)
    # Lock both rows in id order, so two merges of the same pair cannot deadlock.
    first, second = sorted((source_id, target_id))
    cases = {case_id: get_case(session, case_id, for_update=True) for case_id in (first, second)}
    source, target = cases[source_id], cases[target_id]
    if state_of(session, target.state).state_type == "merged":
        raise MergeRefused(
            "case %(target)s was itself merged into case %(into)s: merge into that one",
            target=target.id,
            into=target.merged_into_id or 0,
        )
    if state_of(session, source.state).state_type == "merged":
        raise MergeRefused("case %(case_id)s was already merged", case_id=source.id)
    if source.player_id != target.player_id:
        raise MergeRefused(
            "cases %(source)s and %(target)s are about different players", source=source.id, target=target.id
        )
    merged_state = _merged_state(session)
    now = clock.now()
    session.execute(update(Interaction).where(Interaction.case_id == source.id).values(case_id=target.id))
    links = session.execute(select(CaseLink.kind, CaseLink.ref_id).where(CaseLink.case_id == source.id)).all()
    existing = set(
        session.execute(select(CaseLink.kind, CaseLink.ref_id).where(CaseLink.case_id == target.id))
    )
    session.execute(delete(CaseLink).where(CaseLink.case_id == source.id))
    for kind, ref_id in links:
        if (kind, ref_id) not in existing:
            session.add(CaseLink(case_id=target.id, kind=kind, ref_id=ref_id))
    source.merged_into_id = target.id
    source.solved_at = now
    write_history(session, case=source, from_state=source.state, to_state=merged_state, actor=actor, at=now)
    sla.refresh(session, case=source, now=now)
    # The target now holds the source's contacts too: its first reply or an unanswered message may be
    # among them.
    replay(session, target)
    target.updated_at = now
    sla.refresh(session, case=target, now=now)
    record(
        session,
        actor=actor,
        action="contact_centre.case.merge",
        player_id=source.player_id,
        detail={"case_id": source.id, "to": target.id},
    )
