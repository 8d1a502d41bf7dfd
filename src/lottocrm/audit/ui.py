"""The audit search: who (part of a name), which player, which action (chosen by its label), which days;
paged newest first and exported as CSV. Every search and every export is itself written to the log."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.audit import service as audit
from lottocrm.audit.actions import ACTION_LABELS, action_label, details
from lottocrm.audit.models import AuditEvent
from lottocrm.auth.actors import describe_actors, matching_actors
from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.presentation.csv_export import write_csv
from lottocrm.web.deps import Db, acting, gettext_for, render, require, value_text

router = APIRouter(include_in_schema=False)
CanAudit = Annotated[Principal, require(Permission.AUDIT_VIEW)]
# The action list also offers every change or every look at once (the 360's "all changes" link uses it).
SCOPES = {"changes": False, "views": True}
FIELDS = {"who": 100, "player_id": 20, "action": 60, "since": 10, "until": 10, "after": 60}
SPOOL_BYTES = 8 * 1024 * 1024


class BadFilter(ValueError):
    """A filter that cannot be read; the message is already in the reader's language."""


def _filters(request: Request) -> dict[str, str]:
    return {name: request.query_params.get(name, "")[:limit].strip() for name, limit in FIELDS.items()}


def _query(session: Session, filters: dict[str, str], gettext: Any) -> audit.AuditQuery:
    pid = filters["player_id"]
    if pid and not (pid.isdigit() and len(pid) <= 18):
        raise BadFilter(gettext("The player id is a number."))
    action = filters["action"]
    if action and action not in SCOPES and action not in ACTION_LABELS:
        raise BadFilter(gettext("Choose an action from the list."))

    def day(name: str, label: str) -> dt.date | None:
        try:
            return dt.date.fromisoformat(filters[name]) if filters[name] else None
        except ValueError:
            raise BadFilter(gettext("%s: a date like 2026-11-22") % gettext(label)) from None

    # Dates are the operator's days, as the page shows times: "since 22 November" starts at local midnight.
    since, until = day("since", "From"), day("until", "To")
    return audit.AuditQuery(
        actors=matching_actors(session, filters["who"]) if filters["who"] else None,
        player_id=int(pid) if pid else None,
        action=action if action in ACTION_LABELS else None,
        reads=SCOPES.get(action),
        since=clock.day_bounds(since)[0] if since else None,
        until=clock.day_bounds(until)[1] if until else None,
    )


def _actions(gettext: Any) -> list[tuple[str, str]]:
    """Every action by its label, in the reader's alphabetical order."""
    return sorted(((code, gettext(label)) for code, label in ACTION_LABELS.items()), key=lambda item: item[1])


def audit_rows(session: Session, events: list[AuditEvent]) -> list[dict[str, Any]]:
    """Rows as people read them: who by name and role, the action by its label, the details labelled."""
    who = describe_actors(session, {event.actor for event in events})
    return [
        {"event": e, "who": who[e.actor], "what": action_label(e.action), "details": details(e.detail)}
        for e in events
    ]


def _context(filters: dict[str, str], gettext: Any, **extra: Any) -> dict[str, Any]:
    # The filters as given come back in the form; the links keep them, without the page's own cursor.
    shown = {name: value for name, value in filters.items() if value and name != "after"}
    base = {"filters": filters, "shown": shown, "actions": _actions(gettext), "rows": [], "next": None}
    return {**base, "error": None, **extra}


@router.get("/audit")
def audit_page(request: Request, principal: CanAudit, session: Db) -> Response:
    _ = gettext_for(request)
    filters = _filters(request)
    try:
        query = _query(session, filters, _)
        after = audit.Cursor.decode(filters["after"]) if filters["after"] else None
    except BadFilter as exc:
        context = _context(filters, _, error=_("Cannot search: %s") % exc)
        return render(request, "audit.html", context, status_code=400)
    except ValueError:
        context = _context(filters, _, error=_("This page link is broken; search again."))
        return render(request, "audit.html", context, status_code=400)
    page = audit.search_audited(session, actor=acting(request), query=query, after=after)
    context = _context(filters, _, rows=audit_rows(session, page.events), next=page.next)
    return render(request, "audit.html", context)


@router.get("/audit/export.csv")
def audit_export(request: Request, principal: CanAudit, session: Db) -> Response:
    """The whole filtered result (not only the page shown), in the reader's language with the codes beside
    the labels, formulas neutralised by the shared writer. Written in this request's transaction, so the
    export's own audit row commits only with a complete file."""
    _ = gettext_for(request)
    filters = _filters(request)
    try:
        query = _query(session, filters, _)
    except BadFilter as exc:
        context = _context(filters, _, error=_("Cannot export: %s") % exc)
        return render(request, "audit.html", context, status_code=400)
    text = value_text(request)
    header = [
        _("When"),
        _("Who"),
        _("Actor code"),
        _("Action"),
        _("Action code"),
        _("Player"),
        _("Address"),
        _("Details"),
    ]
    events = audit.export_audited(session, actor=acting(request), query=query)
    # Spooled: a small export stays in memory, a large one goes to a temporary file rather than filling RAM.
    # The response closes it once sent (_chunks); a failure while writing closes it here.
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+", encoding="utf-8", newline="")  # noqa: SIM115
    try:
        write_csv(out, header, _export_rows(session, events, text))
    except BaseException:
        out.close()
        raise
    out.seek(0)
    day = clock.operator_day().isoformat()
    return StreamingResponse(
        _chunks(out),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-{day}.csv"'},
    )


def _export_rows(session: Session, events: Iterable[AuditEvent], text: Any) -> Iterator[list[Any]]:
    batch: list[AuditEvent] = []
    for event in events:
        batch.append(event)
        if len(batch) == audit.EXPORT_BATCH:
            yield from _export_batch(session, batch, text)
            batch = []
    yield from _export_batch(session, batch, text)


def _export_batch(session: Session, events: list[AuditEvent], text: Any) -> Iterator[list[Any]]:
    for row in audit_rows(session, events):
        event = row["event"]
        yield [
            clock.local(event.occurred_at).isoformat(timespec="seconds"),
            text(row["who"]),
            event.actor,
            text(row["what"]),
            event.action,
            event.player_id if event.player_id is not None else "",
            event.ip or "",
            "; ".join(f"{text(label)}: {text(value)}" for label, value in row["details"]),
        ]


def _chunks(out: Any) -> Iterator[str]:
    with out:
        while chunk := out.read(64 * 1024):
            yield chunk
