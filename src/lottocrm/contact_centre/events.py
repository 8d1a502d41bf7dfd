"""What the contact centre announces (see :mod:`lottocrm.events`)."""

from __future__ import annotations

from lottocrm.events.model import EventPayload


class InteractionLogged(EventPayload):
    """An operator logged a contact (a call, an e-mail, a visit…)."""

    name = "contact_centre.interaction_logged"
    player_field = "player_id"

    interaction_id: int
    player_id: int | None
    channel: str
    direction: str
    queue: str
    wrap_code: str | None
    case_id: int | None


class CaseStateChanged(EventPayload):
    """A case was opened (``from_state`` None), moved to another state, or merged into another case."""

    name = "contact_centre.case_state_changed"
    player_field = "player_id"

    case_id: int
    player_id: int
    from_state: str | None
    to_state: str


class SlaWarning(EventPayload):
    """A timer of a case is about to run out (``due_at`` is when)."""

    name = "contact_centre.sla_warning"
    player_field = "player_id"

    case_id: int
    player_id: int
    timer: str
    due_at: str


class SlaBreached(EventPayload):
    """A timer of a case ran out before it was met: the case is escalated."""

    name = "contact_centre.sla_breached"
    player_field = "player_id"

    case_id: int
    player_id: int
    timer: str
    due_at: str
