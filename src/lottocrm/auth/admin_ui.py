"""The admin's pages: staff accounts (create, disable and enable, unlock, reset a password — the generated
password is shown once —, change a role) and machine API keys (the secret is shown once, scoped, revocable).
The services refuse what would leave no enabled admin and ask an admin to confirm locking themselves out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from lottocrm import clock
from lottocrm.auth import service as auth
from lottocrm.auth.models import ROLES, ApiKey, User
from lottocrm.auth.passwords import generate_password
from lottocrm.auth.permissions import API_KEY_SCOPES, Permission
from lottocrm.auth.service import Principal
from lottocrm.web.deps import Db, acting, form_data, gettext_for, refusal_for, render, require

router = APIRouter(include_in_schema=False)
CanManage = Annotated[Principal, require(Permission.USERS_MANAGE)]


USERS_PER_PAGE = 50
Username = Annotated[str, Path(max_length=64)]
Form = Annotated[dict[str, str], Depends(form_data)]


def _page(request: Request, session: Db, *, status_code: int = 200, **extra: object) -> Response:
    page = _page_number(request.query_params.get("page", "1"))
    users = session.scalars(
        select(User).order_by(User.username).offset((page - 1) * USERS_PER_PAGE).limit(USERS_PER_PAGE + 1)
    ).all()
    context = {
        "users": users[:USERS_PER_PAGE],
        "page": page,
        "more": len(users) > USERS_PER_PAGE,
        "roles": ROLES,
        "now": clock.now(),
        "created": None,
        "reset": None,
        "confirm": None,
        "error": None,
        **extra,
    }
    return render(request, "users.html", context, status_code=status_code)


def _page_number(text: str) -> int:
    return int(text) if text.isdigit() and 0 < len(text) <= 6 and int(text) > 0 else 1


@router.get("/admin/users")
def users_page(request: Request, principal: CanManage, session: Db) -> Response:
    return _page(request, session)


@router.post("/admin/users")
def create_user(request: Request, principal: CanManage, session: Db, form: Form) -> Response:
    password = generate_password()
    try:
        user = auth.create_user(
            session,
            actor=acting(request),
            username=form.get("username", ""),
            role=form.get("role", ""),
            password=password,
            display_name=form.get("display_name", "").strip()[:200] or None,
        )
    except auth.AuthError as exc:
        return _refused(request, session, exc)
    return _page(request, session, created={"username": user.username, "password": password})


def _refused(request: Request, session: Db, exc: auth.AuthError, **extra: object) -> Response:
    _ = gettext_for(request)
    error = _("Not saved: %s") % refusal_for(request, exc)
    return _page(request, session, error=error, status_code=exc.http_status, **extra)


def _account_change(
    request: Request, session: Db, form: dict[str, str], change: Callable[[bool], object]
) -> Response:
    """One change of an account, given whether the admin confirmed it. Asked to confirm (their own account),
    the page shows the question with a form that repeats the request, confirmed."""
    try:
        # A savepoint: a refusal leaves nothing of the change behind in the page's own transaction.
        with session.begin_nested():
            change(form.get("confirm") == "yes")
    except auth.ConfirmationRequired as exc:
        confirm = {
            "action": request.url.path,
            "question": refusal_for(request, exc),
            "role": form.get("role"),
        }
        return _page(request, session, confirm=confirm, status_code=exc.http_status)
    except auth.AuthError as exc:
        return _refused(request, session, exc)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{username}/disable")
def disable_user(
    request: Request, principal: CanManage, session: Db, username: Username, form: Form
) -> Response:
    return _account_change(
        request,
        session,
        form,
        lambda confirmed: auth.disable_user(
            session, actor=acting(request), username=username, confirm_self=confirmed
        ),
    )


@router.post("/admin/users/{username}/enable")
def enable_user(
    request: Request, principal: CanManage, session: Db, username: Username, form: Form
) -> Response:
    return _account_change(
        request, session, form, lambda _: auth.enable_user(session, actor=acting(request), username=username)
    )


@router.post("/admin/users/{username}/unlock")
def unlock_user(
    request: Request, principal: CanManage, session: Db, username: Username, form: Form
) -> Response:
    return _account_change(
        request, session, form, lambda _: auth.unlock_user(session, actor=acting(request), username=username)
    )


@router.post("/admin/users/{username}/role")
def change_role(
    request: Request, principal: CanManage, session: Db, username: Username, form: Form
) -> Response:
    return _account_change(
        request,
        session,
        form,
        lambda confirmed: auth.change_role(
            session,
            actor=acting(request),
            username=username,
            role=form.get("role", ""),
            confirm_self=confirmed,
        ),
    )


@router.post("/admin/users/{username}/reset-password")
def reset_password(
    request: Request, principal: CanManage, session: Db, username: Username, form: Form
) -> Response:
    """A generated password, shown once on the answer (pages are sent no-store) for the admin to hand over."""
    password = generate_password()
    try:
        user = auth.reset_password(session, actor=acting(request), username=username, password=password)
    except auth.AuthError as exc:
        return _refused(request, session, exc)
    return _page(
        request, session, reset={"username": user.username, "password": password, "disabled": user.disabled}
    )


# --- API keys ----------------------------------------------------------------------------------------------
SCOPE_FIELD = "scope:"


def _keys_page(request: Request, session: Db, *, status_code: int = 200, **extra: object) -> Response:
    keys = session.scalars(select(ApiKey).order_by(ApiKey.revoked_at.is_not(None), ApiKey.created_at.desc()))
    return render(
        request,
        "api_keys.html",
        {
            "keys": keys.all(),
            "scopes": sorted(API_KEY_SCOPES),
            "scope_field": SCOPE_FIELD,
            "created": None,
            "error": None,
            **extra,
        },
        status_code=status_code,
    )


@router.get("/admin/api-keys")
def api_keys_page(request: Request, principal: CanManage, session: Db) -> Response:
    return _keys_page(request, session)


@router.post("/admin/api-keys")
def create_api_key(request: Request, principal: CanManage, session: Db, form: Form) -> Response:
    # One checkbox per scope ("scope:players:search"), since the form is read as one value per name.
    scopes = [name.removeprefix(SCOPE_FIELD) for name in form if name.startswith(SCOPE_FIELD)]
    try:
        key, secret = auth.create_api_key(
            session, actor=acting(request), name=form.get("name", ""), scopes=scopes
        )
    except auth.AuthError as exc:
        _ = gettext_for(request)
        return _keys_page(
            request, session, error=_("Not saved: %s") % refusal_for(request, exc), status_code=400
        )
    # Shown in this response only (pages are sent no-store): the database keeps a digest, not the secret.
    return _keys_page(request, session, created={"prefix": key.prefix, "secret": secret})


@router.post("/admin/api-keys/{prefix}/revoke")
def revoke_api_key(
    request: Request, principal: CanManage, session: Db, prefix: Annotated[str, Path(max_length=16)]
) -> Response:
    try:
        auth.revoke_api_key(session, actor=acting(request), prefix=prefix)
    except auth.AuthError as exc:
        _ = gettext_for(request)
        return _keys_page(
            request, session, error=_("Not saved: %s") % refusal_for(request, exc), status_code=404
        )
    return RedirectResponse("/admin/api-keys", status_code=303)
