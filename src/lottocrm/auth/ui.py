"""Sign-in, sign-out and the language switch."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from lottocrm.auth import service as auth
from lottocrm.auth.models import User
from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.db.engine import transaction
from lottocrm.web.deps import Db, acting, form_data, gettext_for, render, require
from lottocrm.web.i18n import LOCALES
from lottocrm.web.security import (
    LANGUAGE_COOKIE,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    client_ip,
    cookie_secure,
)

router = APIRouter(include_in_schema=False)


def _login_page(request: Request, *, error: str | None = None, status_code: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", {"login_csrf": token, "error": error}, status_code=status_code)
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        secure=cookie_secure(request),
        samesite="strict",
        path="/login",
    )
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
async def login(request: Request, form: Annotated[dict[str, str], Depends(form_data)]) -> Response:
    _ = gettext_for(request)
    ip = client_ip(request) or "unknown"
    # Login CSRF: the form must echo the random value we put in a cookie only our page could have set.
    cookie_token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    form_token = form.get("csrf_token", "")
    if not cookie_token or not hmac.compare_digest(cookie_token.encode(), form_token.encode()):
        return _login_page(request, error=_("The form has expired. Please sign in again."), status_code=403)
    username, password = form.get("username", "")[:64], form.get("password", "")[:256]
    token = await run_in_threadpool(_sign_in, request, username, password, ip)
    if token is BLOCKED:
        return _login_page(
            request, error=_("Too many failed attempts. Try again in a few minutes."), status_code=429
        )
    if token is None:
        return _login_page(
            request, error=_("Wrong username or password, or the account is locked."), status_code=401
        )
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, secure=cookie_secure(request), samesite="lax", path="/"
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


BLOCKED = object()


def _sign_in(request: Request, username: str, password: str, ip: str) -> str | object | None:
    """A session token, None for a failed sign-in (counted against the address), or BLOCKED when the
    address has too many recent failures (counted in the database, so across all worker processes)."""
    with transaction(request.app.state.engine) as session:
        if auth.address_blocked(session, ip=ip):
            return BLOCKED
        user = auth.authenticate(session, username=username, password=password)
        if user is None:
            auth.record_login_failure(session, ip=ip)
            return None
        # Rotation: whatever session id the browser held before (possibly planted) is destroyed.
        token = auth.start_session(
            session, user=user, ip=ip, previous_token=request.cookies.get(SESSION_COOKIE)
        )
        return token


@router.post("/logout")
def logout(request: Request, principal: Annotated[Principal, require()], session: Db) -> Response:
    auth.end_session(session, actor=acting(request), token=request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/lang")
def set_language(
    request: Request,
    principal: Annotated[Principal, require()],
    session: Db,
    form: Annotated[dict[str, str], Depends(form_data)],
) -> Response:
    locale = form.get("locale", "")
    response = RedirectResponse(_same_site_path(form.get("next", "/")), status_code=303)
    if locale in LOCALES and principal.user_id is not None:
        user = session.get(User, principal.user_id)
        if user is not None:
            user.locale = locale
        response.delete_cookie(LANGUAGE_COOKIE, path="/")
    return response


def _same_site_path(target: str) -> str:
    """Only local paths: a crafted ``next`` must not turn us into an open redirect."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


@router.get("/")
def home(principal: Annotated[Principal, require()]) -> Response:
    if principal.can(Permission.PLAYER_SEARCH):
        return RedirectResponse("/players", status_code=303)
    if principal.can(Permission.REPORTS_VIEW):
        return RedirectResponse("/dashboard", status_code=303)
    if principal.can(Permission.AUDIT_VIEW):
        return RedirectResponse("/audit", status_code=303)
    return RedirectResponse("/admin/users", status_code=303)
