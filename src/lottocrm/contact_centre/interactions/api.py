"""JSON API: log a contact, read one back. Operators and supervisors (``cases:work``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from sqlalchemy import select

from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.contact_centre.interactions import service
from lottocrm.contact_centre.interactions.models import Interaction, InteractionLink
from lottocrm.contact_centre.interactions.schemas import InteractionIn, InteractionOut, LinkIn
from lottocrm.web.deps import Db, acting, require
from lottocrm.web.errors import API_ERRORS

router = APIRouter(prefix="/contact-centre/interactions", tags=["contact centre"], responses=API_ERRORS)
InteractionId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def _out(session: Db, row: Interaction) -> InteractionOut:
    links = session.execute(
        select(InteractionLink.kind, InteractionLink.ref_id).where(InteractionLink.interaction_id == row.id)
    )
    return InteractionOut(
        id=row.id,
        player_id=row.player_id,
        channel=row.channel,
        direction=row.direction,
        queue=row.queue,
        operator=row.operator,
        started_at=row.started_at,
        talk_seconds=row.talk_seconds,
        hold_seconds=row.hold_seconds,
        acw_seconds=row.acw_seconds,
        wrap_code=row.wrap_code,
        notes=row.notes,
        recording_ref=row.recording_ref,
        case_id=row.case_id,
        links=[LinkIn(kind=kind, id=ref_id) for kind, ref_id in links],
    )


@router.post("", response_model=InteractionOut, status_code=201)
def log_interaction(
    request: Request,
    principal: Annotated[Principal, require(Permission.CASES_WORK)],
    session: Db,
    body: InteractionIn,
) -> InteractionOut:
    """Log a contact (a call, an e-mail, a chat, a messenger or SMS message, a visit) as the signed-in
    operator; on a case, it may be the first response, the player's new message or a reply to one."""
    row = service.log_interaction(
        session,
        actor=acting(request),
        operator=principal.actor.removeprefix("user:"),
        links=[(link.kind, link.id) for link in body.links],
        **body.model_dump(exclude={"links"}),
    )
    return _out(session, row)


@router.get("/{interaction_id}", response_model=InteractionOut)
def get_interaction(
    request: Request,
    principal: Annotated[Principal, require(Permission.CASES_WORK)],
    session: Db,
    interaction_id: InteractionId,
) -> InteractionOut:
    """A contact; one on a case is shown only to those who may see the case."""
    row = service.view_interaction(
        session,
        actor=acting(request),
        interaction_id=interaction_id,
        user_id=principal.user_id,
        supervises=principal.can(Permission.CASES_SUPERVISE),
    )
    return _out(session, row)
