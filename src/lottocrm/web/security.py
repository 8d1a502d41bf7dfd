"""HTTP hardening shared by every response: security headers, cookie flags, the client address."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "lc_session"
LOGIN_CSRF_COOKIE = "lc_login_csrf"
LANGUAGE_COOKIE = "lc_lang"

# No inline script anywhere: every behaviour lives in /static/*.js. Inline *styles* are allowed because
# ECharts positions its tooltips with style attributes; styles cannot run code.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


class SecurityHeadersMiddleware:
    """Pure ASGI (not BaseHTTPMiddleware) so streaming responses and background tasks are untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    h for h in message.get("headers", []) if h[0] not in {n for n, _ in SECURITY_HEADERS}
                ]
                headers.extend(SECURITY_HEADERS)
                if scope.get("scheme") == "https":
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                if not scope["path"].startswith("/static/"):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def cookie_secure(request: Request) -> bool:
    """Secure cookies everywhere except plain HTTP on the loopback interface (a local demo or test)."""
    return not (request.url.scheme == "http" and (request.url.hostname or "") in _LOOPBACK_HOSTS)


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None
