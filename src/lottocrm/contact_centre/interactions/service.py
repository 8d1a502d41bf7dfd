"""Logging a contact: checked whole before anything is written, then the interaction, its links, its
effect on the case's SLA facts, an audit row and an event. Services never commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit.service import Actor, record
from lottocrm.contact_centre.cases import service as cases
from lottocrm.contact_centre.cases.access import visible_case
from lottocrm.contact_centre.cases.facts import contact_kinds
from lottocrm.contact_centre.errors import ContactCentreError, UnknownRecord
from lottocrm.contact_centre.events import InteractionLogged
from lottocrm.contact_centre.interactions.models import (
    CHANNELS,
    DIRECTIONS,
    LINK_KINDS,
    Interaction,
    InteractionLink,
)
from lottocrm.contact_centre.teams.models import WrapCode
from lottocrm.contact_centre.teams.service import queue_of
from lottocrm.events.outbox import emit
from lottocrm.players.models import Player

MAX_SECONDS = 24 * 3600
MAX_NOTES = 10_000
MAX_RECORDING_REF = 300
# A contact logged a little ahead of the server's clock (a PBX a few seconds fast) is fine; one hours ahead
# is a mistake.
CLOCK_SLACK = dt.timedelta(minutes=5)


def _check(
    session: Session,
    *,
    channel: str,
    direction: str,
    queue: str,
    wrap_code: str | None,
    started_at: dt.datetime,
    durations: dict[str, int],
    notes: str | None,
    recording_ref: str | None,
) -> None:
    if channel not in CHANNELS:
        raise ContactCentreError(
            "channel %(channel)r is not one of %(known)s", channel=channel, known=", ".join(CHANNELS)
        )
    if direction not in DIRECTIONS:
        raise ContactCentreError("direction %(direction)r is not inbound or outbound", direction=direction)
    queue_of(session, queue)
    if wrap_code is not None:
        offered = session.scalar(
            select(WrapCode.id).where(
                WrapCode.queue == queue, WrapCode.code == wrap_code, WrapCode.active.is_(True)
            )
        )
        if offered is None:
            raise ContactCentreError(
                "wrap-up code %(code)r is not offered in queue %(queue)r", code=wrap_code, queue=queue
            )
    if started_at.tzinfo is None:
        raise ContactCentreError("the start of a contact needs a time zone")
    if started_at > clock.now() + CLOCK_SLACK:
        raise ContactCentreError("a contact cannot start in the future (%(at)s)", at=started_at.isoformat())
    for name, seconds in durations.items():
        if not 0 <= seconds <= MAX_SECONDS:
            raise ContactCentreError(
                "%(name)s must be 0 to %(max)s seconds, got %(value)s",
                name=name,
                max=MAX_SECONDS,
                value=seconds,
            )
    if notes is not None and len(notes) > MAX_NOTES:
        raise ContactCentreError("notes are limited to %(max)s characters", max=MAX_NOTES)
    if recording_ref is not None and len(recording_ref) > MAX_RECORDING_REF:
        raise ContactCentreError(
            "a recording reference is limited to %(max)s characters", max=MAX_RECORDING_REF
        )


def log_interaction(
    session: Session,
    *,
    actor: Actor,
    player_id: int | None,
    channel: str,
    direction: str,
    queue: str,
    operator: str,
    started_at: dt.datetime,
    talk_seconds: int = 0,
    hold_seconds: int = 0,
    acw_seconds: int = 0,
    wrap_code: str | None = None,
    notes: str | None = None,
    recording_ref: str | None = None,
    case_id: int | None = None,
    links: Sequence[tuple[str, int]] = (),
) -> Interaction:
    notes = notes.strip() or None if notes is not None else None
    _check(
        session,
        channel=channel,
        direction=direction,
        queue=queue,
        wrap_code=wrap_code,
        started_at=started_at,
        durations={"talk_seconds": talk_seconds, "hold_seconds": hold_seconds, "acw_seconds": acw_seconds},
        notes=notes,
        recording_ref=recording_ref,
    )
    if player_id is not None and session.get(Player, player_id) is None:
        raise UnknownRecord("no player %(player_id)s", player_id=player_id)
    for kind, ref_id in links:
        cases.check_link(session, kind, ref_id, allowed=LINK_KINDS)
    case = None
    if case_id is not None:
        case = cases.get_case(session, case_id, for_update=True)
        if case.player_id != player_id:
            raise ContactCentreError("case %(case_id)s is about another player", case_id=case_id)
        if cases.state_of(session, case.state).state_type == "merged":
            raise ContactCentreError(
                "case %(case_id)s was merged into case %(into)s: log the contact there",
                case_id=case_id,
                into=case.merged_into_id or 0,
            )
    interaction = Interaction(
        player_id=player_id,
        channel=channel,
        direction=direction,
        queue=queue,
        operator=operator,
        started_at=started_at,
        talk_seconds=talk_seconds,
        hold_seconds=hold_seconds,
        acw_seconds=acw_seconds,
        wrap_code=wrap_code,
        notes=notes,
        recording_ref=recording_ref,
        case_id=case_id,
        created_at=clock.now(),
    )
    session.add(interaction)
    session.flush()
    for kind, ref_id in dict.fromkeys(links):
        session.add(InteractionLink(interaction_id=interaction.id, kind=kind, ref_id=ref_id))
    if case is not None:
        player_contact, reply = contact_kinds(direction=direction, channel=channel)
        cases.note_contact(session, actor=actor, case=case, at=started_at, player=player_contact, reply=reply)
    session.flush()
    record(
        session,
        actor=actor,
        action="contact_centre.interaction.log",
        player_id=player_id,
        detail={
            "interaction_id": interaction.id,
            "channel": channel,
            "direction": direction,
            "case_id": case_id,
        },
    )
    emit(
        session,
        InteractionLogged(
            interaction_id=interaction.id,
            player_id=player_id,
            channel=channel,
            direction=direction,
            queue=queue,
            wrap_code=wrap_code,
            case_id=case_id,
        ),
    )
    return interaction


def view_interaction(
    session: Session, *, actor: Actor, interaction_id: int, user_id: int | None, supervises: bool
) -> Interaction:
    """Read a contact (audited as a look at player data); one on a case only if the case is visible."""
    row = session.get(Interaction, interaction_id)
    if row is None:
        raise UnknownRecord("no contact %(interaction_id)s", interaction_id=interaction_id)
    if row.case_id is not None:
        try:
            visible_case(session, case_id=row.case_id, user_id=user_id, supervises=supervises)
        except UnknownRecord:
            raise UnknownRecord("no contact %(interaction_id)s", interaction_id=interaction_id) from None
    record(
        session,
        actor=actor,
        action="contact_centre.interaction.view",
        player_id=row.player_id,
        detail={"interaction_id": row.id},
    )
    return row
