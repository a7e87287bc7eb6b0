"""Security headers on every answer, and reading the bearer token.

No page may be framed (``frame-ancestors 'none'``, ``X-Frame-Options: DENY``) except one
that calls :func:`frameable_by` (the embeddable live board): its CSP names the origins
that may frame it, and it has no X-Frame-Options (which cannot list origins)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from fastapi import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), interest-cohort=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
# Set by frameable_by, read and removed by SecurityHeaders: it never reaches the client.
FRAME_ANCESTORS = b"x-machmal-frame-ancestors"
_FRAME_SOURCE = re.compile(rb"^https?://[a-z0-9.-]+(?::[0-9]{1,5})?$")
_FRAMEABLE_DROPS = (b"content-security-policy", b"x-frame-options")


def frameable_by(response: Response, origins: Iterable[str]) -> None:
    """Let ``origins`` (``scheme://host[:port]``, validated by duels.embedding) and this
    site frame ``response``."""
    response.headers[FRAME_ANCESTORS.decode()] = " ".join(origins)


def framed_headers(sources: bytes) -> list[tuple[bytes, bytes]]:
    """SECURITY_HEADERS for a frameable page: its own frame-ancestors, no X-Frame-Options."""
    allowed = [b"'self'", *(source for source in sources.split() if _FRAME_SOURCE.match(source))]
    policy = CSP.encode().replace(
        b"frame-ancestors 'none'", b"frame-ancestors " + b" ".join(allowed)
    )
    kept = [header for header in SECURITY_HEADERS if header[0] not in _FRAMEABLE_DROPS]
    return [(b"content-security-policy", policy), *kept]


_REFERRER = b"referrer-policy"
_WITHOUT_REFERRER = [header for header in SECURITY_HEADERS if header[0] != _REFERRER]


def _secured(headers: Sequence[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    own_referrer = False
    for index, (name, value) in enumerate(headers):
        if name == FRAME_ANCESTORS:
            return [*headers[:index], *headers[index + 1 :], *framed_headers(value)]
        own_referrer = own_referrer or name == _REFERRER
    # A response that sets its own, stricter Referrer-Policy keeps it alone (the /go
    # redirect to a company's site: no-referrer); two headers would let the last one win.
    return [*headers, *(_WITHOUT_REFERRER if own_referrer else SECURITY_HEADERS)]


class SecurityHeaders:
    """Pure ASGI (no BaseHTTPMiddleware): cheap enough for the vote hot path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = _secured(message.get("headers", ()))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def parse_bearer(header: str) -> str | None:
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def bearer_token(request: Request) -> str | None:
    return parse_bearer(request.headers.get("authorization", ""))
