"""How refusals look: a redirect to sign-in, a readable HTML page for people, JSON under /api/."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from lottocrm.errors import ServiceError
from lottocrm.web.deps import BadRequestBody, NotSignedIn, gettext_for, refusal_for, render


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def _not_signed_in(request: Request, exc: Exception) -> Response:
    if request.headers.get("hx-request") == "true":
        return Response(status_code=401, headers={"HX-Redirect": "/login"})
    return RedirectResponse("/login", status_code=303)


async def _bad_body(request: Request, exc: Exception) -> Response:
    if _wants_json(request):
        return JSONResponse({"detail": f"unreadable request body: {exc}"}, status_code=400)
    _ = gettext_for(request)
    detail = _("The form could not be read: %s") % _(str(exc))
    return render(request, "error.html", {"status": 400, "detail": detail}, status_code=400)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if _wants_json(request) or exc.status_code in (301, 302, 303, 307, 308):
        return await http_exception_handler(request, exc)
    return render(
        request, "error.html", {"status": exc.status_code, "detail": exc.detail}, status_code=exc.status_code
    )


async def _refused(request: Request, exc: Exception) -> Response:
    """A service's refusal that reached the delivery layer: its code and message, once for every route."""
    assert isinstance(exc, ServiceError)
    if _wants_json(request):
        return JSONResponse({"detail": exc.message, "code": exc.code}, status_code=exc.http_status)
    detail = refusal_for(request, exc)
    return render(
        request, "error.html", {"status": exc.http_status, "detail": detail}, status_code=exc.http_status
    )


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
