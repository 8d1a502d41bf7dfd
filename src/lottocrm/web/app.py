"""The one FastAPI application: JSON API under /api/v1 and the server-rendered UI.

Each domain contributes an APIRouter; ``create_app`` is the only place they are mounted.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from lottocrm import __version__
from lottocrm.analytics.reports import api as reports_api
from lottocrm.analytics.reports import ui as reports_ui
from lottocrm.audit import ui as audit_ui
from lottocrm.auth import admin_ui
from lottocrm.auth import ui as auth_ui
from lottocrm.db.engine import get_engine
from lottocrm.loyalty import api as loyalty_api
from lottocrm.loyalty import rewards_api as loyalty_rewards_api
from lottocrm.loyalty import till_asgi, till_calls
from lottocrm.players import api as players_api
from lottocrm.players import ui as players_ui
from lottocrm.settings import Settings, get_settings
from lottocrm.web.docs import docs_router
from lottocrm.web.errors import install_error_pages
from lottocrm.web.security import SecurityHeadersMiddleware

API_PREFIX = "/api/v1"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    # The till's sessions and connections are the app's: opened with it, closed when the server stops.
    till_calls.open_resources(app)
    try:
        yield
    finally:
        await till_calls.close_resources(app)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="lottocrm",
        version=__version__,
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = get_engine(settings)
    # Inside the security headers, ahead of everything else: the till's redemptions on PostgreSQL.
    app.add_middleware(till_asgi.TillFastPath, prefix=f"{API_PREFIX}/loyalty")
    app.add_middleware(SecurityHeadersMiddleware)
    install_error_pages(app)
    app.mount("/static", StaticFiles(directory=Path(__file__).with_name("static")), name="static")

    api = APIRouter(prefix=API_PREFIX)

    @api.get("/health", tags=["system"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    api.include_router(loyalty_api.router)
    api.include_router(loyalty_rewards_api.router)
    api.include_router(players_api.router)
    api.include_router(reports_api.router)
    app.include_router(api)
    for ui in (auth_ui, admin_ui, players_ui, reports_ui, audit_ui):
        app.include_router(ui.router)
    app.include_router(docs_router(f"{API_PREFIX}/openapi.json"))
    return app
