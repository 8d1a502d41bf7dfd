"""The marketer's segment pages: the list (paged), the builder (rows of conditions, or the JSON of a deeper
tree) with a live count and the exclusion waterfall for a channel, the versions, and "why is / isn't this
player in"."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select

from lottocrm import vocab
from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.catalog.models import Game
from lottocrm.errors import ServiceError
from lottocrm.marketing.segments import form as builder_form
from lottocrm.marketing.segments import references, service
from lottocrm.marketing.segments.audience import explain_player, frame_at
from lottocrm.marketing.segments.conditions import OPERATORS, SegmentError, parse
from lottocrm.marketing.segments.fields import FIELDS, GROUPS
from lottocrm.marketing.segments.form import RowError
from lottocrm.marketing.segments.labels import GROUP_LABELS, OPERATOR_LABELS, STEP_LABELS, choice_labels
from lottocrm.marketing.segments.models import Segment, SegmentVersion
from lottocrm.marketing.segments.preview import preview
from lottocrm.web.deps import Db, acting, form_data, gettext_for, page_number, refusal_for, render, require

router = APIRouter(include_in_schema=False)
PER_PAGE = 20
# The games offered in the builder's game box (a lottery runs a handful; the box takes any id typed).
MAX_GAMES_LISTED = 200
SegmentId = Annotated[int, Path(ge=1, le=2**63 - 1)]


def _catalogue() -> dict[str, Any]:
    return {
        "groups": [
            (group, GROUP_LABELS[group], [spec for spec in FIELDS.values() if spec.group == group])
            for group in GROUPS
        ],
        "operators": OPERATOR_LABELS,
        "operators_of": {kind: list(ops) for kind, ops in OPERATORS.items()},
        "choice_labels": {name: choice_labels(spec) for name, spec in FIELDS.items() if spec.choices},
        "channels": vocab.CONSENT_CHANNELS,
    }


@router.get("/segments")
def segment_list(
    request: Request, principal: Annotated[Principal, require(Permission.CAMPAIGN_VIEW)], session: Db
) -> Response:
    page = page_number(request)
    latest = (
        select(SegmentVersion.segment_id, func.max(SegmentVersion.number).label("number"))
        .group_by(SegmentVersion.segment_id)
        .subquery()
    )
    rows = session.execute(
        select(Segment, latest.c.number)
        .join(latest, latest.c.segment_id == Segment.id)
        .order_by(Segment.archived_at.is_not(None), Segment.name)
        .offset((page - 1) * PER_PAGE)
        .limit(PER_PAGE + 1)
    ).all()
    context = {
        "rows": rows[:PER_PAGE],
        "page": page,
        "more": len(rows) > PER_PAGE,
        "total": session.scalar(select(func.count()).select_from(Segment)),
        "can_edit": principal.can(Permission.CAMPAIGN_EDIT),
    }
    return render(request, "marketing/segments.html", context, principal=principal)


def _builder_page(
    request: Request,
    session: Db,
    principal: Principal,
    *,
    segment: Segment | None,
    builder: builder_form.Builder,
    name: str = "",
    description: str = "",
    error: str | None = None,
    error_row: int | None = None,
    status_code: int = 200,
) -> Response:
    versions: list[SegmentVersion] = []
    if segment is not None:
        versions = list(
            session.scalars(
                select(SegmentVersion)
                .where(SegmentVersion.segment_id == segment.id)
                .order_by(SegmentVersion.number.desc())
                .limit(PER_PAGE)
            )
        )
    context = {
        "segment": segment,
        "builder": builder,
        "name": name or (segment.name if segment else ""),
        "description": description or (segment.description if segment else ""),
        "versions": versions,
        "error": error,
        "error_row": error_row,
        "can_edit": principal.can(Permission.CAMPAIGN_EDIT),
        "games": session.scalars(select(Game).order_by(Game.id).limit(MAX_GAMES_LISTED)).all(),
        **_catalogue(),
    }
    return render(request, "marketing/segment.html", context, status_code=status_code, principal=principal)


@router.get("/segments/new")
def new_segment(
    request: Request, principal: Annotated[Principal, require(Permission.CAMPAIGN_EDIT)], session: Db
) -> Response:
    return _builder_page(request, session, principal, segment=None, builder=builder_form.from_document(None))


@router.get("/segments/{segment_id}")
def segment_page(
    request: Request,
    principal: Annotated[Principal, require(Permission.CAMPAIGN_VIEW)],
    session: Db,
    segment_id: SegmentId,
) -> Response:
    segment = service.get_segment(session, segment_id)
    version = service.current_version(session, segment_id)
    return _builder_page(
        request, session, principal, segment=segment, builder=builder_form.from_document(version.definition)
    )


def _references(session: Db) -> Any:
    """Each builder row's games, draws and campaigns looked up in the store."""
    return lambda node: references.check(session, node)


def _refused(request: Request, error: ServiceError) -> tuple[str, int | None]:
    """The refusal in the reader's language; a builder row's fault names the row."""
    _ = gettext_for(request)
    if isinstance(error, RowError):
        detail = ServiceError(error.detail_template, **error.detail_params)
        text = _("Row %(row)s: %(problem)s") % {"row": error.row, "problem": refusal_for(request, detail)}
        return text, error.row
    return refusal_for(request, error), None


@router.post("/segments/new")
def create_segment(
    request: Request,
    principal: Annotated[Principal, require(Permission.CAMPAIGN_EDIT)],
    session: Db,
    form: Annotated[dict[str, str], Depends(form_data)],
) -> Response:
    builder = builder_form.rows_of(form)
    try:
        definition = builder_form.to_document(builder, _references(session))
        # A savepoint: a refusal undoes only this, and the page can still read the store to show itself.
        with session.begin_nested():
            version = service.create_segment(
                session,
                actor=acting(request),
                name=form.get("name", ""),
                description=form.get("description", "").strip(),
                definition=definition,
            )
    except ServiceError as error:
        text, row = _refused(request, error)
        return _builder_page(
            request,
            session,
            principal,
            segment=None,
            builder=builder,
            name=form.get("name", ""),
            description=form.get("description", ""),
            error=text,
            error_row=row,
            status_code=422,
        )
    return RedirectResponse(f"/segments/{version.segment_id}?saved=1", status_code=303)


@router.post("/segments/{segment_id}")
def save_segment_version(
    request: Request,
    principal: Annotated[Principal, require(Permission.CAMPAIGN_EDIT)],
    session: Db,
    segment_id: SegmentId,
    form: Annotated[dict[str, str], Depends(form_data)],
) -> Response:
    segment = service.get_segment(session, segment_id)
    builder = builder_form.rows_of(form)
    try:
        definition = builder_form.to_document(builder, _references(session))
        with session.begin_nested():
            service.save_version(
                session,
                actor=acting(request),
                segment_id=segment.id,
                definition=definition,
                note=form.get("note", "").strip(),
            )
    except ServiceError as error:
        text, row = _refused(request, error)
        segment = service.get_segment(session, segment_id)
        return _builder_page(
            request,
            session,
            principal,
            segment=segment,
            builder=builder,
            error=text,
            error_row=row,
            status_code=422,
        )
    return RedirectResponse(f"/segments/{segment_id}?saved=1", status_code=303)


@router.post("/segment-preview")
def preview_fragment(
    request: Request,
    principal: Annotated[Principal, require(Permission.CAMPAIGN_VIEW)],
    session: Db,
    form: Annotated[dict[str, str], Depends(form_data)],
) -> Response:
    """The live count and waterfall of the builder as it stands (nothing saved); an HTMX fragment."""
    channel = form.get("channel", "sms")
    context: dict[str, Any] = {"channel": channel, "step_labels": STEP_LABELS}
    try:
        if channel not in vocab.CONSENT_CHANNELS:
            raise SegmentError(
                "channel", "%(value)s is not one of %(choices)s", value=channel[:20], choices=""
            )
        node = parse(builder_form.to_document(builder_form.rows_of(form), _references(session)))
        context["shown"] = preview(session, node=node, frame=frame_at(session), channel=channel)
    except ServiceError as error:
        context["error"], _row = _refused(request, error)
    return render(request, "marketing/_segment_preview.html", context, principal=principal)


@router.get("/segments/{segment_id}/why")
def why_fragment(
    request: Request,
    principal: Annotated[Principal, require(Permission.CAMPAIGN_VIEW)],
    session: Db,
    segment_id: SegmentId,
) -> Response:
    """Whether a player is in the segment, condition by condition; an HTMX fragment."""
    text = request.query_params.get("player", "").strip()
    context: dict[str, Any] = {"player_text": text, "operators": OPERATOR_LABELS, "fields": FIELDS}
    if not text.isdigit() or len(text) > 18 or int(text) == 0:
        context["error"] = gettext_for(request)("Enter a player id (a whole number).")
    else:
        node = service.tree(service.current_version(session, segment_id))
        context["verdict"] = explain_player(session, node, frame_at(session), int(text))
    return render(request, "marketing/_segment_why.html", context, principal=principal)
