"""The one FastAPI application: JSON API under /api/v1 and the server-rendered UI.

Every router, middleware and startup resource comes from the installed domains' wiring
(:mod:`lottocrm.domains`), in their order; ``create_app`` is the only place they are mounted. The 360's
panel providers and timeline sources are resolved here once and kept on ``app.state`` for the players UI.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from lottocrm import __version__, domains
from lottocrm.db.engine import get_engine
from lottocrm.db.migrate import schema_state_of
from lottocrm.settings import Settings, get_settings
from lottocrm.web.docs import docs_router
from lottocrm.web.errors import install_error_pages
from lottocrm.web.lifecycle import die_with_supervisor
from lottocrm.web.security import SecurityHeadersMiddleware

API_PREFIX = "/api/v1"
Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


def _lifespan(resources: list[Lifespan]) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            for resource in resources:
                await stack.enter_async_context(resource(app))
            yield

    return lifespan


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    die_with_supervisor()
    resources: list[Lifespan] = []
    app = FastAPI(
        title="lottocrm",
        version=__version__,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=_lifespan(resources),
    )
    app.state.settings = settings
    app.state.engine = get_engine(settings)
    app.state.player_panels = domains.panel_providers()
    app.state.timeline_sources = domains.timeline_sources()
    # Domain middleware sits inside the security headers, ahead of everything else (the till's fast path).
    for setup in domains.web_setups():
        if (resource := setup(app, api_prefix=API_PREFIX)) is not None:
            resources.append(resource)
    app.add_middleware(SecurityHeadersMiddleware)
    install_error_pages(app)
    app.mount("/static", StaticFiles(directory=Path(__file__).with_name("static")), name="static")

    # Each router is included straight into the app: including it into an API router first would make FastAPI
    # build every route twice, a quarter of a second on each app made (every test builds one).
    api = APIRouter()

    @api.get(
        "/health", tags=["system"], responses={503: {"description": "the schema is missing or outdated"}}
    )
    def health() -> JSONResponse:
        """``ok`` only when the database holds the schema this version expects (a load balancer's check)."""
        state = schema_state_of(app.state.engine)
        body = {"status": "ok" if state == "current" else f"schema_{state}", "version": __version__}
        return JSONResponse(body, status_code=200 if state == "current" else 503)

    for router in [api, *domains.api_routers()]:
        app.include_router(router, prefix=API_PREFIX)
    for router in domains.ui_routers():
        app.include_router(router)
    app.include_router(docs_router(f"{API_PREFIX}/openapi.json"))
    return app
