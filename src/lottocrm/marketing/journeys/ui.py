"""The journeys pages: the list (paged) with the shipped lottery journeys to install as drafts, and one
journey — its versions, its steps in order with what each does, how many instances went through each step
and how, and the goal rate against the control. Editing is through the API for now (docs/marketing.md); a
form per step comes next."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from lottocrm import clock
from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.errors import ServiceError
from lottocrm.marketing.journeys import library, results, service
from lottocrm.marketing.journeys.labels import STEP_KINDS, TRIGGERS, outcome_text
from lottocrm.marketing.journeys.models import Journey, JourneyInstance, JourneyVersion
from lottocrm.marketing.journeys.walk import definition_of
from lottocrm.messaging.templates.models import MessageTemplate
from lottocrm.web.deps import Db, acting, form_data, gettext_for, page_number, refusal_for, render, require

router = APIRouter(include_in_schema=False)
CanRead = Annotated[Principal, require(Permission.CAMPAIGN_VIEW)]
PER_PAGE = 20
VERSIONS_SHOWN = 10


@router.get("/journeys")
def journey_list(request: Request, principal: CanRead, session: Db) -> Response:
    return _list_page(request, session, principal)


@router.post("/journeys/library/{code}")
def install_shipped(
    request: Request,
    principal: Annotated[Principal, require(Permission.CAMPAIGN_EDIT)],
    session: Db,
    code: Annotated[str, Path(max_length=40)],
    _form: Annotated[dict[str, str], Depends(form_data)],
) -> Response:
    """A shipped journey as a new draft (with its templates); its page, or the list saying why not."""
    try:
        # A savepoint: a refusal undoes only this, and the list can still read the store to show itself.
        with session.begin_nested():
            version = library.install(session, actor=acting(request), code=code)
    except ServiceError as error:
        return _list_page(request, session, principal, error=refusal_for(request, error), status_code=409)
    return RedirectResponse(f"/journeys/{version.journey_id}?installed=1", status_code=303)


def _list_page(
    request: Request, session: Db, principal: Principal, *, error: str | None = None, status_code: int = 200
) -> Response:
    gettext = gettext_for(request)
    page = page_number(request)
    journeys = service.journeys(session, offset=(page - 1) * PER_PAGE, limit=PER_PAGE + 1)
    shown = [journey.id for journey in journeys[:PER_PAGE]]
    open_counts = dict(
        session.execute(
            select(JourneyInstance.journey_id, func.count())
            .where(JourneyInstance.journey_id.in_(shown), JourneyInstance.status == "waiting")
            .group_by(JourneyInstance.journey_id)
        ).all()
    )
    rows = []
    for journey in journeys[:PER_PAGE]:
        definition = definition_of(session, service.latest_version(session, journey.id))
        rows.append(
            {
                "journey": journey,
                "trigger": gettext(TRIGGERS[definition.entry.trigger]),
                "walking": open_counts.get(journey.id, 0),
            }
        )
    shipped = [
        {"journey": journey, "trigger": gettext(TRIGGERS[journey.trigger])}
        for journey in library.LIBRARY.values()
    ]
    context = {
        "rows": rows,
        "page": page,
        "more": len(journeys) > PER_PAGE,
        "shipped": shipped,
        "error": error,
    }
    return render(request, "marketing/journeys.html", context, principal=principal, status_code=status_code)


@router.get("/journeys/{journey_id:int}")
def journey_page(
    request: Request, principal: CanRead, session: Db, journey_id: Annotated[int, Path(ge=1, le=2**63 - 1)]
) -> Response:
    gettext = gettext_for(request)
    journey: Journey = service.get_journey(session, journey_id)
    versions = session.scalars(
        select(JourneyVersion)
        .where(JourneyVersion.journey_id == journey_id)
        .order_by(JourneyVersion.number.desc())
        .limit(VERSIONS_SHOWN)
    ).all()
    shown = next((v for v in versions if v.id == journey.live_version_id), versions[0])
    definition = definition_of(session, shown)
    found = results.results(session, journey_id=journey_id, at=clock.now())
    outcomes: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for count in found.steps:
        outcomes[count.step].append((outcome_text(count.outcome, gettext), count.instances))
    template_ids = {step.template_id for step in definition.steps.values() if step.kind == "send"}
    names = dict(
        session.execute(
            select(MessageTemplate.id, MessageTemplate.name).where(MessageTemplate.id.in_(template_ids))
        ).all()
    )
    steps = [
        {
            "name": name,
            "kind": gettext(STEP_KINDS[step.kind]),
            "does": _does(step, gettext, names),
            "outcomes": outcomes[name],
        }
        for name, step in _in_order(definition)
    ]
    context: dict[str, Any] = {
        "journey": journey,
        "versions": versions,
        "shown": shown,
        "definition": definition,
        "trigger": gettext(TRIGGERS[definition.entry.trigger]),
        "goal": gettext(TRIGGERS[definition.goal]) if definition.goal else None,
        "entry_outcomes": outcomes.get("entry", []),
        "steps": steps,
        "results": found,
    }
    return render(request, "marketing/journey.html", context, principal=principal)


def _in_order(definition: Any) -> list[tuple[str, Any]]:
    """The steps from the start, breadth first, as a reader follows them."""
    order, seen, queue = [], {definition.start}, [definition.start]
    while queue:
        name = queue.pop(0)
        step = definition.steps[name]
        order.append((name, step))
        for target in step.targets():
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return order


def _duration(minutes: int, gettext: Any) -> str:
    """3 days, 5 h, 45 min — whichever unit divides it."""
    if minutes % 1440 == 0:
        return gettext("%(days)s d") % {"days": minutes // 1440}
    if minutes % 60 == 0:
        return gettext("%(hours)s h") % {"hours": minutes // 60}
    return gettext("%(minutes)s min") % {"minutes": minutes}


def _does(step: Any, gettext: Any, template_names: dict[int, str]) -> str:
    """One line saying what the step does, in the reader's language."""
    if step.kind == "wait":
        if step.minutes is not None:
            return gettext("%(duration)s, then %(next)s") % {
                "duration": _duration(step.minutes, gettext),
                "next": step.next,
            }
        if step.until_local_time is not None:
            return gettext("until %(time)s in the player's zone, then %(next)s") % {
                "time": step.until_local_time,
                "next": step.next,
            }
        return gettext("for “%(trigger)s” up to %(duration)s: then %(next)s, else %(timeout)s") % {
            "trigger": gettext(TRIGGERS[step.for_trigger]),
            "duration": _duration(step.timeout_minutes, gettext),
            "next": step.next,
            "timeout": step.on_timeout,
        }
    if step.kind == "branch":
        return gettext("if the condition holds: %(yes)s, else %(no)s") % {"yes": step.yes, "no": step.no}
    if step.kind == "split":
        return ", ".join(f"{arm.name} {arm.percent} % → {arm.next}" for arm in step.arms)
    if step.kind == "send":
        channels = ", ".join(gettext(channel) for channel in step.channels)
        return gettext("template “%(template)s” by %(channels)s, then %(next)s") % {
            "template": template_names.get(step.template_id, step.template_id),
            "channels": channels,
            "next": step.next,
        }
    if step.kind == "offer" and step.bonus_points is not None:
        return gettext("%(points)s bonus points, then %(next)s") % {
            "points": step.bonus_points,
            "next": step.next,
        }
    if step.kind == "offer":
        return gettext("a promo code, then %(next)s") % {"next": step.next}
    if step.kind == "call_task":
        return gettext("an operator calls: “%(note)s”, then %(next)s") % {
            "note": step.note,
            "next": step.next,
        }
    if step.kind == "exit":
        return ""
    return gettext("then %(next)s") % {"next": step.next}
