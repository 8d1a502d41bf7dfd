"""How refusals look: a redirect to sign-in, a readable HTML page for people, JSON under /api/.

The JSON API has one error body, ``{"detail": message, "code": stable code}`` (:class:`ApiError`), for every
refusal but a request that does not match its parameters, which keeps FastAPI's 422 body (a list of the
problems). Routers declare it with :data:`API_ERRORS`. The till (``/api/v1/loyalty``) has its own documented
body and answers it itself.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

from lottocrm.db.outage import DatabaseUnavailable, is_outage
from lottocrm.errors import ServiceError
from lottocrm.web.deps import BadRequestBody, NotSignedIn, gettext_for, refusal_for, render


class ApiError(BaseModel):
    detail: str
    code: str


API_ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ApiError, "description": HTTPStatus(status).phrase}
    for status in (400, 401, 403, 404, 409)
} | {
    503: {
        "model": ApiError,
        "description": "The database cannot be reached: try again",
        "headers": {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}},
    }
}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _api_error(detail: str, code: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail, "code": code}, status_code=status, headers=headers)


async def _not_signed_in(request: Request, exc: Exception) -> Response:
    if request.headers.get("hx-request") == "true":
        return Response(status_code=401, headers={"HX-Redirect": "/login"})
    return RedirectResponse("/login", status_code=303)


async def _bad_body(request: Request, exc: Exception) -> Response:
    if _wants_json(request):
        return _api_error(f"unreadable request body: {exc}", "unreadable_body", 400)
    _ = gettext_for(request)
    detail = _("The form could not be read: %s") % _(str(exc))
    return render(request, "error.html", {"status": 400, "detail": detail}, status_code=400)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code in (301, 302, 303, 307, 308):
        return await http_exception_handler(request, exc)
    if exc.status_code == 405:
        exc.headers = {**(exc.headers or {}), "Allow": ", ".join(_allowed_methods(request))}
    if _wants_json(request):
        # The code is the status's name: not_found, unauthorized, forbidden, method_not_allowed, …
        code = HTTPStatus(exc.status_code).phrase.lower().replace(" ", "_").replace("-", "_")
        return _api_error(str(exc.detail), code, exc.status_code, exc.headers)
    return render(
        request, "error.html", {"status": exc.status_code, "detail": exc.detail}, status_code=exc.status_code
    )


def _allowed_methods(request: Request) -> list[str]:
    """Every method of the path: Starlette's 405 names only the first route that matched it (PUT, not the
    DELETE of the same path)."""
    matching = (
        route.methods or set()
        for route in request.app.router.routes
        if isinstance(route, Route) and route.matches(request.scope)[0] is not Match.NONE
    )
    return sorted(set().union(*matching))


async def _refused(request: Request, exc: Exception) -> Response:
    """A service's refusal that reached the delivery layer: its code and message, once for every route."""
    assert isinstance(exc, ServiceError)
    headers = None if exc.retry_after is None else {"Retry-After": str(exc.retry_after)}
    if _wants_json(request):
        return _api_error(exc.message, exc.code, exc.http_status, headers)
    page = render(
        request,
        "error.html",
        {"status": exc.http_status, "detail": refusal_for(request, exc)},
        status_code=exc.http_status,
    )
    page.headers.update(headers or {})
    return page


async def _database_error(request: Request, exc: Exception) -> Response:
    """A connection refused or lost is a 503 to try again; any other database error stays a server error."""
    if not is_outage(exc):
        raise exc
    return await _refused(request, DatabaseUnavailable())


async def _invalid(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if _wants_json(request):
        return await request_validation_exception_handler(request, exc)
    # Pydantic explains in English only; a page names the fields it could not read, in the reader's language.
    _ = gettext_for(request)
    fields = ", ".join(dict.fromkeys(_(str(error["loc"][-1])) for error in exc.errors()))
    detail = _("These values in the address or the form are not valid: %s") % fields
    return render(request, "error.html", {"status": 422, "detail": detail}, status_code=422)


def install_error_pages(app: FastAPI) -> None:
    app.add_exception_handler(NotSignedIn, _not_signed_in)
    app.add_exception_handler(BadRequestBody, _bad_body)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(ServiceError, _refused)
    app.add_exception_handler(DBAPIError, _database_error)
