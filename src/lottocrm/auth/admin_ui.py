"""The admin's pages: staff accounts (the generated password is shown once, disable) and machine API keys
(the secret is shown once, scoped, revocable)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from lottocrm.auth import service as auth
from lottocrm.auth.models import ROLES, ApiKey, User
from lottocrm.auth.passwords import generate_password
from lottocrm.auth.permissions import API_KEY_SCOPES, Permission
from lottocrm.auth.service import Principal
from lottocrm.web.deps import Db, acting, form_data, gettext_for, render, require

router = APIRouter(include_in_schema=False)
CanManage = Annotated[Principal, require(Permission.USERS_MANAGE)]


def _page(request: Request, session: Db, **extra: object) -> Response:
    users = session.scalars(select(User).order_by(User.username)).all()
    status_code = int(extra.pop("status_code", 200))  # type: ignore[call-overload]
    return render(
        request,
        "users.html",
        {"users": users, "roles": ROLES, "created": None, "error": None, **extra},
        status_code=status_code,
    )


@router.get("/admin/users")
def users_page(request: Request, principal: CanManage, session: Db) -> Response:
    return _page(request, session)


@router.post("/admin/users")
def create_user(
    request: Request, principal: CanManage, session: Db, form: Annotated[dict[str, str], Depends(form_data)]
) -> Response:
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
        _ = gettext_for(request)
        return _page(request, session, error=_("Not saved: %s") % exc, status_code=400)
    return _page(request, session, created={"username": user.username, "password": password})


@router.post("/admin/users/{username}/disable")
def disable_user(
    request: Request, principal: CanManage, session: Db, username: Annotated[str, Path(max_length=64)]
) -> Response:
    try:
        auth.disable_user(session, actor=acting(request), username=username)
    except auth.AuthError as exc:
        _ = gettext_for(request)
        return _page(request, session, error=_("Not saved: %s") % exc, status_code=404)
    return RedirectResponse("/admin/users", status_code=303)


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
def create_api_key(
    request: Request, principal: CanManage, session: Db, form: Annotated[dict[str, str], Depends(form_data)]
) -> Response:
    # One checkbox per scope ("scope:players:search"), since the form is read as one value per name.
    scopes = [name.removeprefix(SCOPE_FIELD) for name in form if name.startswith(SCOPE_FIELD)]
    try:
        key, secret = auth.create_api_key(
            session, actor=acting(request), name=form.get("name", ""), scopes=scopes
        )
    except auth.AuthError as exc:
        _ = gettext_for(request)
        return _keys_page(request, session, error=_("Not saved: %s") % exc, status_code=400)
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
        return _keys_page(request, session, error=_("Not saved: %s") % exc, status_code=404)
    return RedirectResponse("/admin/api-keys", status_code=303)
