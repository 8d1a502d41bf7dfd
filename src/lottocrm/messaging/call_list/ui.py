"""``/call-list``: an operator's open calls of a queue, due today (and left over from earlier days), paged;
each with what to tell the player and the player's own time (a call outside the policy's calling hours is
marked), a form per task closes it with how the call went. Listing asks the gate again first
(``recheck.worklist``): a call it now stops is cancelled, never shown."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lottocrm import clock
from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.contact_policy.explain import sentence
from lottocrm.contact_policy.models import ContactHistory
from lottocrm.contact_policy.reasons import Reason
from lottocrm.contact_policy.rules import next_allowed, player_zone
from lottocrm.contact_policy.service import current_policy
from lottocrm.messaging.call_list.models import CALL_OUTCOMES, CallQueue, CallTask
from lottocrm.messaging.call_list.queue import (
    DEFAULT_DAILY_CAPACITY,
    DEFAULT_QUEUE,
    close_task,
    operator_day,
    queue_label,
)
from lottocrm.messaging.call_list.recheck import worklist
from lottocrm.messaging.models import Message
from lottocrm.players.models import Player
from lottocrm.players.schemas import mask_name, mask_phone
from lottocrm.presentation.values import Sentence
from lottocrm.web.deps import Db, acting, form_data, render, require

router = APIRouter(include_in_schema=False)
PER_PAGE = 50
MAX_PAGE = 10_000
_RUSSIAN_MOBILE = re.compile(r"\+7(\d{3})(\d{3})(\d{2})(\d{2})")


def _queue_name(request: Request) -> str:
    name = request.query_params.get("queue", DEFAULT_QUEUE)
    return name if 0 < len(name) <= 40 else DEFAULT_QUEUE


def _task_id(request: Request, key: str) -> int | None:
    text = request.query_params.get(key, "")
    return int(text) if text.isdigit() and len(text) <= 18 else None


def readable_phone(e164: str) -> str:
    """+79161234512 → +7 916 123-45-12, as an operator dials it; other numbers as they are."""
    found = _RUSSIAN_MOBILE.fullmatch(e164)
    return f"+7 {found[1]} {found[2]}-{found[3]}-{found[4]}" if found else e164


def _why_stopped(session: Session, task_id: int | None) -> Sentence | None:
    """The gate's reason a task was cancelled, from its message's contact history."""
    task = session.get(CallTask, task_id) if task_id is not None else None
    if task is None or task.status != "cancelled":
        return None
    row = session.execute(
        select(ContactHistory.reason, ContactHistory.detail)
        .where(ContactHistory.message_id == task.message_id, ContactHistory.outcome == "blocked")
        .order_by(ContactHistory.id.desc())
        .limit(1)
    ).first()
    return sentence(Reason(row.reason, row.detail or {})) if row is not None and row.reason else None


def _rows(session: Session, principal: Principal, tasks: list[CallTask], now: dt.datetime) -> list[dict]:
    ids = [t.player_id for t in tasks]
    players = {p.id: p for p in session.scalars(select(Player).where(Player.id.in_(ids)))}
    messages = {
        m.id: m for m in session.scalars(select(Message).where(Message.id.in_([t.message_id for t in tasks])))
    }
    _, policy = current_policy(session)
    rows = []
    for task in tasks:
        player, message = players[task.player_id], messages.get(task.message_id)
        parts = (player.last_name, player.first_name, player.middle_name)
        zone = player_zone(player.region)
        rule = policy.quiet_rule("call", message.message_class if message else "marketing")
        allowed_from = next_allowed(now, zone, rule)
        rows.append(
            {
                "task": task,
                "name": mask_name(*parts) if principal.masked else " ".join(p for p in parts if p),
                "phone": mask_phone(task.phone) if principal.masked else readable_phone(task.phone),
                "tel": None if principal.masked else task.phone,
                "say": message.body if message else None,
                "local_time": now.astimezone(zone),
                "allowed_from": allowed_from.astimezone(zone) if allowed_from else None,
            }
        )
    return rows


@router.get("/call-list")
def call_list_page(
    request: Request, principal: Annotated[Principal, require(Permission.CALL_LIST)], session: Db
) -> Response:
    queue = _queue_name(request)
    page_text = request.query_params.get("page", "1")
    page = int(page_text) if page_text.isdigit() and 1 <= int(page_text) <= MAX_PAGE else 1
    now = clock.now()
    today = operator_day(now)
    work = worklist(
        session,
        actor=acting(request),
        queue=queue,
        day=today,
        offset=(page - 1) * PER_PAGE,
        limit=PER_PAGE + 1,
        at=now,
    )
    waiting = session.scalar(
        select(func.count()).where(
            CallTask.queue == queue, CallTask.status == "open", CallTask.due_day <= today
        )
    )
    filed_today = session.scalar(
        select(func.count()).where(CallTask.queue == queue, CallTask.due_day == today)
    )
    settings = session.get(CallQueue, queue)
    stopped = _task_id(request, "stopped")
    context: dict[str, Any] = {
        "queue": queue,
        "queue_label": queue_label(settings, queue),
        "today": today,
        "tasks": _rows(session, principal, work.tasks[:PER_PAGE], now),
        "page": page,
        "pages": max(1, -(-(waiting or 0) // PER_PAGE)),
        "waiting": waiting or 0,
        "more": len(work.tasks) > PER_PAGE,
        "filed_today": filed_today or 0,
        "capacity": settings.daily_capacity if settings is not None else DEFAULT_DAILY_CAPACITY,
        "outcomes": CALL_OUTCOMES,
        "closed": _task_id(request, "closed"),
        "stopped": stopped,
        "stopped_why": _why_stopped(session, stopped),
        "withdrawn": len(work.cancelled),
    }
    return render(request, "call_list.html", context, principal=principal)


@router.post("/call-list/{task_id}/close")
def close_call(
    request: Request,
    principal: Annotated[Principal, require(Permission.CALL_LIST)],
    session: Db,
    task_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    form: Annotated[dict[str, str], Depends(form_data)],
) -> Response:
    task = close_task(session, actor=acting(request), task_id=task_id, outcome=form.get("outcome", ""))
    # A task the gate stopped meanwhile comes back cancelled: the page says why, and not to call.
    notice = "stopped" if task.status == "cancelled" else "closed"
    return RedirectResponse(
        f"/call-list?{urlencode({'queue': task.queue, notice: task.id})}", status_code=303
    )
