"""What handlers depend on: a database session, the one permission check, templates in the right language.

``require(permission)`` is the only gate: it identifies the caller (session cookie or API key), checks the
permission against the role matrix, and for state-changing requests made with a cookie checks the CSRF token.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import Depends, HTTPException, Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from lottocrm import vocab
from lottocrm.audit.service import Actor
from lottocrm.auth import service as auth
from lottocrm.auth.permissions import Permission
from lottocrm.auth.service import Principal
from lottocrm.db.engine import transaction
from lottocrm.errors import ServiceError
from lottocrm.presentation import values as pv
from lottocrm.presentation.render import as_text
from lottocrm.web.i18n import LOCALES, Formats, pick_locale, refusal, translations
from lottocrm.web.security import LANGUAGE_COOKIE, SESSION_COOKIE, client_ip

TEMPLATES_DIR = Path(__file__).with_name("templates")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
API_KEY_HEADER = "x-api-key"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
MAX_FORM_BYTES = 64 * 1024
MAX_FORM_FIELDS = 50


class NotSignedIn(Exception):
    """Raised by the permission check; the UI answers with a redirect to /login, the API with 401."""


class BadRequestBody(Exception):
    """The body could not be read as a form (not UTF-8, not a form at all)."""


def engine_of(request: Request) -> Engine:
    return request.app.state.engine


def db_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back if it raises."""
    with transaction(engine_of(request)) as session:
        yield session


Db = Annotated[Session, Depends(db_session, scope="function")]


def _identify(engine: Engine, cookie: str | None, api_key: str | None) -> Principal | None:
    with transaction(engine) as session:
        if api_key:
            return auth.resolve_api_key(session, secret=api_key)
        if cookie:
            return auth.resolve_session(session, token=cookie)
    return None


async def form_data(request: Request) -> dict[str, str]:
    """The submitted form as plain strings. Parsed strictly (Starlette would quietly turn bad bytes into
    mojibake), so undecodable input is refused instead of being stored."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise BadRequestBody("the form is too large")
    if not body:
        return {}
    if content_type != "application/x-www-form-urlencoded":
        raise BadRequestBody("expected an application/x-www-form-urlencoded form")
    try:
        pairs = parse_qsl(
            body.decode("utf-8"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FORM_FIELDS,
        )
    except UnicodeDecodeError:
        raise BadRequestBody("the form is not valid UTF-8") from None
    except ValueError as exc:
        raise BadRequestBody(str(exc)) from None
    return dict(pairs)


def _authorise(permission: Permission | None, hide: bool):  # type: ignore[no-untyped-def]
    async def dependency(request: Request) -> Principal:
        api_key = request.headers.get(API_KEY_HEADER)
        principal = await run_in_threadpool(
            _identify, engine_of(request), request.cookies.get(SESSION_COOKIE), api_key
        )
        if principal is None:
            if api_key or request.url.path.startswith("/api/"):
                raise HTTPException(status_code=401, detail="sign in or present a valid API key")
            raise NotSignedIn()
        if permission is not None and not principal.can(permission):
            if hide:
                raise HTTPException(status_code=404, detail="not found")
            raise HTTPException(status_code=403, detail="your role does not allow this")
        if request.method not in SAFE_METHODS and principal.csrf_token is not None:
            sent = request.headers.get(CSRF_HEADER)
            if sent is None:
                sent = (await form_data(request)).get(CSRF_FIELD, "")
            if not hmac.compare_digest(sent.encode(), principal.csrf_token.encode()):
                raise HTTPException(status_code=403, detail="missing or stale CSRF token; reload the page")
        request.state.principal = principal
        return principal

    dependency.permission = permission  # type: ignore[attr-defined]  # read by the route-coverage test
    return dependency


def require(permission: Permission | None = None, *, hide: bool = False) -> Any:
    """The permission check. ``None`` means any signed-in user. ``hide`` answers a refusal with 404, for
    pages whose mere existence (a player id) should not be confirmed to someone without access."""
    return Depends(_authorise(permission, hide))


def acting(request: Request) -> Actor:
    """Who is acting in this request (the principal the permission check found) and from which address."""
    principal: Principal = request.state.principal
    return principal.acting(client_ip(request))


def locale_for(request: Request, principal: Principal | None = None) -> str:
    return pick_locale(
        request.query_params.get("lang"),
        request.cookies.get(LANGUAGE_COOKIE),
        principal.locale if principal else None,
        accept_language=request.headers.get("accept-language"),
    )


def _environment(locale: str) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    # Panel labels and values are data looked up in the catalog: newstyle ``_()`` would %-format them, and a
    # value such as "Лото 45 %" raised. A plain lookup, still autoescaped.
    env.filters["message"] = translations(locale).gettext
    env.filters["panel_value"] = panel_value
    env.filters["actor"] = partial(actor_name, gettext=translations(locale).gettext)
    env.globals["region_name"] = partial(vocab.region_name, locale=locale)
    return env


def actor_name(name: str | None, *, gettext: Callable[[str], str]) -> str:
    """Who did something, as a person reads it: the user name of "user:ivanova", "system" for a job or the
    console (the stored "kind:name" is for the audit log)."""
    if not name:
        return "—"
    kind, _, who = name.partition(":")
    return who if kind == "user" and who else gettext("system")


@pass_context
def panel_value(context: Context, value: pv.PanelValue) -> str:
    """A typed panel value in the page's language: ru-RU money and dates, catalog words."""
    return as_text(value, context["fmt"], translations(context["locale"]))


_TEMPLATES = {locale: Jinja2Templates(env=_environment(locale)) for locale in LOCALES}


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    principal: Principal | None = None,
) -> Response:
    principal = principal or getattr(request.state, "principal", None)
    locale = locale_for(request, principal)
    settings = request.app.state.settings
    full = {
        "principal": principal,
        "locale": locale,
        "fmt": Formats(locale, settings.timezone),
        "Permission": Permission,
        **context,
    }
    return _TEMPLATES[locale].TemplateResponse(request, name, full, status_code=status_code)


def gettext_for(request: Request) -> Any:
    return translations(locale_for(request, getattr(request.state, "principal", None))).gettext


def refusal_for(request: Request, exc: ServiceError) -> str:
    """A service's refusal as the person who asked reads it, in their language."""
    return refusal(exc, locale_for(request, getattr(request.state, "principal", None)))


def value_text(request: Request) -> Callable[[pv.PanelValue], str]:
    """Typed values as text in the request's language, for what a handler writes itself (a CSV export)."""
    locale = locale_for(request, getattr(request.state, "principal", None))
    fmt, catalog = Formats(locale, request.app.state.settings.timezone), translations(locale)
    return lambda value: as_text(value, fmt, catalog)


def page_number(request: Request, name: str = "page") -> int:
    """The page a list was asked for (``?page=N``); anything that is not a small positive number is page 1."""
    text = request.query_params.get(name, "1")
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) <= 6 and int(text) > 0 else 1
