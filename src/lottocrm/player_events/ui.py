"""The events page for administrators: what the website and app sent in the last day, by type, and the
events refused, newest first, paged, each with the reason in the reader's language and the event as sent."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from lottocrm import clock
from lottocrm.auth.actors import describe_actors
from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.player_events import service
from lottocrm.player_events.labels import REASON_TEXTS, TYPE_LABELS, value_at
from lottocrm.player_events.models import DeadLetter
from lottocrm.web.deps import Db, gettext_for, page_number, render, require

router = APIRouter(include_in_schema=False)
CanView = Annotated[Principal, require(Permission.EVENTS_VIEW)]
PER_PAGE = 25


@router.get("/events")
def events_page(request: Request, session: Db, principal: CanView) -> Response:
    gettext = gettext_for(request)
    page = page_number(request)
    letters, total = service.dead_letters(session, offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
    accepted, refused = service.day_summary(session, since=clock.now() - dt.timedelta(days=1))
    senders = describe_actors(session, {letter.source for letter in letters})
    rows = [
        {
            "letter": letter,
            "sender": senders[letter.source],
            "type": gettext(TYPE_LABELS[letter.type]) if letter.type in TYPE_LABELS else letter.type,
            "why": gettext(REASON_TEXTS.get(letter.reason, "The event was refused."))
            % {"field": letter.field, "value": _shown_value(letter)},
        }
        for letter in letters
    ]
    context = {
        "rows": rows,
        "total": total,
        "page": page,
        "more": page * PER_PAGE < total,
        "accepted": [(gettext(TYPE_LABELS[kind]), accepted.get(kind, 0)) for kind in TYPE_LABELS],
        "refused_today": sum(refused.values()),
    }
    return render(request, "player_events.html", context, principal=principal)


def _shown_value(letter: DeadLetter) -> str:
    # An unknown type or player names itself; every other reason shows the value at the refused field.
    return value_at(letter.body, letter.field or "")
