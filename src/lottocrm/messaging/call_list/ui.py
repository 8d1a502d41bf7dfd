"""``/call-list``: an operator's open calls of a queue, due today (and left over from earlier days), paged;
a form per task closes it with how the call went."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from lottocrm import clock
from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.messaging.call_list.models import CALL_OUTCOMES, CallQueue, CallTask
from lottocrm.messaging.call_list.queue import DEFAULT_DAILY_CAPACITY, DEFAULT_QUEUE, close_task, operator_day
from lottocrm.players.models import Player
from lottocrm.players.schemas import mask_name, mask_phone
from lottocrm.web.deps import Db, acting, form_data, render, require

router = APIRouter(include_in_schema=False)
PER_PAGE = 50
MAX_PAGE = 10_000


def _queue_name(request: Request) -> str:
    name = request.query_params.get("queue", DEFAULT_QUEUE)
    return name if 0 < len(name) <= 40 else DEFAULT_QUEUE


@router.get("/call-list")
def call_list_page(
    request: Request, principal: Annotated[Principal, require(Permission.CALL_LIST)], session: Db
) -> Response:
    queue = _queue_name(request)
    page_text = request.query_params.get("page", "1")
    page = int(page_text) if page_text.isdigit() and 1 <= int(page_text) <= MAX_PAGE else 1
    today = operator_day(clock.now())
    open_tasks = (CallTask.queue == queue, CallTask.status == "open", CallTask.due_day <= today)
    rows = session.execute(
        select(CallTask, Player)
        .join(Player, Player.id == CallTask.player_id)
        .where(*open_tasks)
        .order_by(CallTask.due_day, CallTask.id)
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE + 1)
    ).all()
    filed_today = session.scalar(
        select(func.count()).where(CallTask.queue == queue, CallTask.due_day == today)
    )
    capacity = session.scalar(select(CallQueue.daily_capacity).where(CallQueue.name == queue))
    tasks = [
        {
            "task": task,
            "name": mask_name(player.last_name, player.first_name, player.middle_name)
            if principal.masked
            else " ".join(p for p in (player.last_name, player.first_name, player.middle_name) if p),
            "phone": mask_phone(task.phone) if principal.masked else task.phone,
        }
        for task, player in rows[:PER_PAGE]
    ]
    context = {
        "queue": queue,
        "today": today,
        "tasks": tasks,
        "page": page,
        "more": len(rows) > PER_PAGE,
        "filed_today": filed_today or 0,
        "capacity": capacity if capacity is not None else DEFAULT_DAILY_CAPACITY,
        "outcomes": CALL_OUTCOMES,
        "closed": request.query_params.get("closed"),
    }
    return render(request, "call_list.html", context, principal=principal)


@router.post("/call-list/{task_id}/close")
def close_call(
    request: Request,
    principal: Annotated[Principal, require(Permission.CALL_LIST)],
    session: Db,
    task_id: int,
    form: Annotated[dict[str, str], Depends(form_data)],
) -> Response:
    task = close_task(session, actor=acting(request), task_id=task_id, outcome=form.get("outcome", ""))
    return RedirectResponse(f"/call-list?queue={task.queue}&closed={task.id}", status_code=303)
