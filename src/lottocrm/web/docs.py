"""Interactive OpenAPI docs served from vendored Swagger UI: FastAPI's default page loads it from a CDN and
starts it with an inline script, which our no-CDN rule and CSP both forbid."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>lottocrm API</title>
<link rel="icon" href="data:,"><link rel="stylesheet" href="/static/vendor/swagger-ui.css"></head>
<body data-openapi="{openapi}"><div id="swagger-ui"></div>
<script src="/static/vendor/swagger-ui-bundle.js"></script><script src="/static/api-docs.js"></script>
</body></html>"""


def docs_router(openapi_url: str) -> APIRouter:
    page = PAGE.replace("{openapi}", openapi_url)
    router = APIRouter(include_in_schema=False)

    @router.get(openapi_url.rsplit("/", 1)[0] + "/docs")
    def api_docs() -> HTMLResponse:
        return HTMLResponse(page)

    return router
