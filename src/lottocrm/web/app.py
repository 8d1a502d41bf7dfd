"""The one FastAPI application: JSON API under /api/v1 and the server-rendered UI.

Each domain contributes an APIRouter; ``create_app`` is the only place they are mounted.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from lottocrm import __version__
from lottocrm.loyalty import api as loyalty_api
from lottocrm.settings import Settings, get_settings

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="lottocrm", version=__version__, openapi_url=f"{API_PREFIX}/openapi.json",
                  docs_url=f"{API_PREFIX}/docs", redoc_url=None)
    app.state.settings = settings

    api = APIRouter(prefix=API_PREFIX)

    @api.get("/health", tags=["system"])
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    api.include_router(loyalty_api.router)
    app.include_router(api)
    return app
