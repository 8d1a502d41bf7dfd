"""The marketer's template pages: the list, a new template, the editor of its draft (bodies per channel
beside the variables, save, preview for sample players, publish and archive with a confirmation, a test
send), and the version history with each old version read-only.

Every change runs in a savepoint: a refusal leaves nothing of it in the page's transaction, and the page
is shown again with the text as typed and each problem beside its field, in the reader's language.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lottocrm.auth.actors import describe_actors
from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.db.engine import transaction
from lottocrm.errors import ServiceError
from lottocrm.messaging.templates import listing, samples
from lottocrm.messaging.templates import service as templates
from lottocrm.messaging.templates import test_send as tests
from lottocrm.messaging.templates.errors import TemplateInvalid
from lottocrm.messaging.templates.models import MESSAGE_CLASSES, MessageTemplate, MessageTemplateVersion
from lottocrm.messaging.templates.problem_text import by_field
from lottocrm.messaging.templates.render import BODY_FIELDS, Bodies
from lottocrm.messaging.templates.settings import TemplateSettings
from lottocrm.messaging.templates.validation import check_version
from lottocrm.messaging.templates.variables import available_variables
from lottocrm.web.deps import (
    Db,
    acting,
    engine_of,
    form_data,
    gettext_for,
    page_number,
    refusal_for,
    render,
    require,
)

router = APIRouter(include_in_schema=False)
CanView = Annotated[Principal, require(Permission.TEMPLATE_VIEW)]
CanEdit = Annotated[Principal, require(Permission.TEMPLATE_EDIT)]
Form = Annotated[dict[str, str], Depends(form_data)]
VERSIONS_PER_PAGE = 10
# Bodies of one line (a subject, a title) get an input; the others a text area of this many rows.
ONE_LINE = frozenset({"email_subject", "push_title"})


def _template(session: Session, code: str) -> MessageTemplate:
    try:
        return templates.find_template(session, code=code[:80])
    except templates.TemplateNotFound:
        raise HTTPException(status_code=404, detail="no such template") from None


def _versions(
    session: Session, template: MessageTemplate, page: int
) -> tuple[list[MessageTemplateVersion], int]:
    """One page of the template's versions, newest first, and how many there are."""
    where = MessageTemplateVersion.template_id == template.id
    rows = session.scalars(
        select(MessageTemplateVersion)
        .where(where)
        .order_by(MessageTemplateVersion.number.desc())
        .offset((page - 1) * VERSIONS_PER_PAGE)
        .limit(VERSIONS_PER_PAGE)
    ).all()
    return list(rows), session.scalar(
        select(func.count()).select_from(MessageTemplateVersion).where(where)
    ) or 0


def _draft(session: Session, template: MessageTemplate) -> MessageTemplateVersion | None:
    return session.scalar(
        select(MessageTemplateVersion)
        .where(MessageTemplateVersion.template_id == template.id, MessageTemplateVersion.status == "draft")
        .order_by(MessageTemplateVersion.number.desc())
        .limit(1)
    )


def _bodies_from(form: dict[str, str]) -> Bodies:
    # Browsers send text areas with CRLF line ends; the stored text uses LF, as typed in any editor.
    return Bodies(**{name: form.get(name, "").replace("\r\n", "\n").strip() or None for name in BODY_FIELDS})


# ---- the list and a new template --------------------------------------------------------------------------
@router.get("/templates")
def template_list(request: Request, principal: CanView, session: Db) -> Response:
    query = request.query_params.get("q", "")
    found = listing.template_page(session, query=query, page=page_number(request))
    context = {"found": found, "q": query, "can_edit": principal.can(Permission.TEMPLATE_EDIT)}
    return render(request, "message_templates/list.html", context, principal=principal)


def _new_page(
    request: Request,
    principal: Principal,
    *,
    form: dict[str, str] | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {"form": form or {}, "error": error, "classes": MESSAGE_CLASSES}
    return render(
        request, "message_templates/new.html", context, status_code=status_code, principal=principal
    )


@router.get("/templates/new")
def new_template_page(request: Request, principal: CanEdit) -> Response:
    return _new_page(request, principal)


@router.post("/templates")
def create_template(request: Request, principal: CanEdit, session: Db, form: Form) -> Response:
    try:
        with session.begin_nested():
            template = templates.create_template(
                session,
                actor=acting(request),
                code=form.get("code", ""),
                name=form.get("name", ""),
                message_class=form.get("message_class", ""),
            )
    except ServiceError as exc:
        error = gettext_for(request)("Not created: %s") % refusal_for(request, exc)
        return _new_page(request, principal, form=form, error=error, status_code=exc.http_status)
    return RedirectResponse(f"/templates/{template.code}", status_code=303)


# ---- the editor -----------------------------------------------------------------------------------------
def _editor(
    request: Request,
    session: Session,
    principal: Principal,
    template: MessageTemplate,
    *,
    bodies: Bodies | None = None,
    problems: dict[str, list[str]] | None = None,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    translate = gettext_for(request)
    draft = _draft(session, template)
    published = templates.published_version(session, template_id=template.id)
    # The text as typed (a refused save, a preview), else the draft's, else the published one's to start from.
    base = draft or published
    shown = bodies or (templates.bodies_of(base) if base else Bodies())
    page = page_number(request, "versions")
    window, version_count = _versions(session, template, page)
    if problems is None:
        # The warnings of the text shown (emoji in an SMS): a saved draft has no errors, only these.
        findings = check_version(
            shown, message_class=template.message_class, settings=TemplateSettings.from_environment()
        )
        problems = by_field(findings.errors + findings.warnings, translate) if shown.present() else {}
    context = {
        "template": template,
        "draft": draft,
        "published": published,
        "bodies": shown,
        "problems": problems,
        "variables": available_variables(),
        "versions": window,
        "version_count": version_count,
        "versions_page": page,
        "versions_more": version_count > page * VERSIONS_PER_PAGE,
        "who": describe_actors(
            session, {v.created_by for v in window} | {v.published_by for v in window if v.published_by}
        ),
        "can_edit": principal.can(Permission.TEMPLATE_EDIT),
        "one_line": ONE_LINE,
        "test_channels": tests.TEST_CHANNELS,
        "tests_per_hour": tests.TESTS_PER_HOUR,
        "random_count": samples.RANDOM_COUNT,
        "example_only": sorted(samples.EXAMPLE_ONLY),
        "notice": _notice(request, translate),
        **extra,
    }
    return render(
        request, "message_templates/editor.html", context, status_code=status_code, principal=principal
    )


def _notice(request: Request, translate: Any) -> str | None:
    done = request.query_params.get("done", "")
    notices = {
        "saved": translate("The draft is saved."),
        "published": translate("Published: new messages of this template use this version from now on."),
        "archived": translate("Archived."),
    }
    return notices.get(done)


def _refused(
    request: Request,
    session: Session,
    principal: Principal,
    template: MessageTemplate,
    exc: ServiceError,
    bodies: Bodies | None = None,
    **extra: Any,
) -> Response:
    error = gettext_for(request)("Not done: %s") % refusal_for(request, exc)
    return _editor(
        request,
        session,
        principal,
        template,
        bodies=bodies,
        error=error,
        status_code=exc.http_status,
        **extra,
    )


@router.get("/templates/{code}")
def editor_page(request: Request, principal: CanView, session: Db, code: str) -> Response:
    return _editor(request, session, principal, _template(session, code))


@router.post("/templates/{code}/draft")
def save_draft(request: Request, principal: CanEdit, session: Db, code: str, form: Form) -> Response:
    template = _template(session, code)
    bodies = _bodies_from(form)
    draft = _draft(session, template)
    try:
        with session.begin_nested():
            templates.save_draft(
                session,
                actor=acting(request),
                template_id=template.id,
                bodies=bodies,
                version_id=draft.id if draft else None,
            )
    except TemplateInvalid as exc:
        problems = by_field(exc.problems, gettext_for(request))
        error = gettext_for(request)("Not saved: the text has problems, each shown beside its field.")
        return _editor(
            request,
            session,
            principal,
            template,
            bodies=bodies,
            problems=problems,
            error=error,
            status_code=exc.http_status,
        )
    except ServiceError as exc:
        return _refused(request, session, principal, template, exc, bodies)
    return RedirectResponse(f"/templates/{template.code}?done=saved", status_code=303)


@router.post("/templates/{code}/preview")
def preview(request: Request, principal: CanView, session: Db, code: str, form: Form) -> Response:
    """The text in the form (saved or not) for sample players: nothing is written."""
    template = _template(session, code)
    bodies = _bodies_from(form)
    translate = gettext_for(request)
    findings = check_version(
        bodies, message_class=template.message_class, settings=TemplateSettings.from_environment()
    )
    problems = by_field(findings.errors + findings.warnings, translate)
    ids_text = form.get("players", "")
    if findings.errors:
        error = translate("No preview: the text has problems, each shown beside its field.")
        return _editor(
            request,
            session,
            principal,
            template,
            bodies=bodies,
            problems=problems,
            error=error,
            players=ids_text,
            status_code=422,
        )
    try:
        if form.get("random") or not ids_text.strip():
            players = samples.random_active_players(session)
        else:
            players = samples.players_by_id(session, samples.parse_ids(ids_text))
        previews = templates.preview_bodies(bodies, players=[p.variables for p in players])
    except ServiceError as exc:
        return _refused(
            request, session, principal, template, exc, bodies, players=ids_text, problems=problems
        )
    shown = [
        (player, result, by_field([result.error], translate) if result.error else {})
        for player, result in zip(players, previews, strict=True)
    ]
    return _editor(
        request,
        session,
        principal,
        template,
        bodies=bodies,
        problems=problems,
        previews=shown,
        players=ids_text,
    )


def _version_of(session: Session, template: MessageTemplate, form: dict[str, str]) -> MessageTemplateVersion:
    text = form.get("version_id", "")
    version = session.get(MessageTemplateVersion, int(text)) if text.isascii() and text.isdigit() else None
    if version is None or version.template_id != template.id:
        raise HTTPException(status_code=404, detail="no such version of this template")
    return version


@router.post("/templates/{code}/publish")
def publish(request: Request, principal: CanEdit, session: Db, code: str, form: Form) -> Response:
    template = _template(session, code)
    version = _version_of(session, template, form)
    if form.get("confirm") != "yes":
        return _editor(
            request, session, principal, template, confirm={"action": "publish", "version": version}
        )
    try:
        with session.begin_nested():
            templates.publish_version(session, actor=acting(request), version_id=version.id)
    except TemplateInvalid as exc:
        problems = by_field(exc.problems, gettext_for(request))
        error = gettext_for(request)("Not published: the text has problems, each shown beside its field.")
        return _editor(
            request, session, principal, template, problems=problems, error=error, status_code=exc.http_status
        )
    except ServiceError as exc:
        return _refused(request, session, principal, template, exc)
    return RedirectResponse(f"/templates/{template.code}?done=published", status_code=303)


@router.post("/templates/{code}/archive")
def archive(request: Request, principal: CanEdit, session: Db, code: str, form: Form) -> Response:
    template = _template(session, code)
    version = _version_of(session, template, form)
    if form.get("confirm") != "yes":
        return _editor(
            request, session, principal, template, confirm={"action": "archive", "version": version}
        )
    try:
        with session.begin_nested():
            templates.archive_version(session, actor=acting(request), version_id=version.id)
    except ServiceError as exc:
        return _refused(request, session, principal, template, exc)
    return RedirectResponse(f"/templates/{template.code}?done=archived", status_code=303)


@router.post("/templates/{code}/test-send")
def test_send(request: Request, principal: CanEdit, code: str, form: Form) -> Response:
    """Render, audit and commit first, then send, then show the page in a transaction of its own: no test
    leaves unrecorded, and no transaction (on SQLite, the database's one writer) is held while the channel
    answers."""
    engine = engine_of(request)
    test_form = {"channel": form.get("channel", ""), "address": form.get("address", "")}
    try:
        with transaction(engine) as session:
            template = _template(session, code)
            version = _version_of(session, template, form)
            prepared = tests.prepare_test(
                session,
                actor=acting(request),
                version_id=version.id,
                channel=test_form["channel"],
                address=test_form["address"],
            )
    except ServiceError as exc:
        with transaction(engine) as session:
            return _refused(request, session, principal, _template(session, code), exc, test_form=test_form)
    outcome = tests.deliver(prepared)
    with transaction(engine) as session:
        return _editor(
            request,
            session,
            principal,
            _template(session, code),
            test_outcome=outcome,
            test_form=test_form,
            status_code=200 if outcome.error is None else 502,
        )


# ---- an old version -------------------------------------------------------------------------------------
@router.get("/templates/{code}/versions/{number}")
def version_page(
    request: Request,
    principal: CanView,
    session: Db,
    code: str,
    number: Annotated[int, Path(ge=1, le=2**31 - 1)],
) -> Response:
    template = _template(session, code)
    version = session.scalar(
        select(MessageTemplateVersion).where(
            MessageTemplateVersion.template_id == template.id, MessageTemplateVersion.number == number
        )
    )
    if version is None:
        raise HTTPException(status_code=404, detail="no such version of this template")
    context = {
        "template": template,
        "version": version,
        "bodies": templates.bodies_of(version),
        "who": describe_actors(session, {version.created_by} | ({version.published_by} - {None})),
        "newest": session.scalar(
            select(func.max(MessageTemplateVersion.number)).where(
                MessageTemplateVersion.template_id == template.id
            )
        ),
    }
    return render(request, "message_templates/version.html", context, principal=principal)
