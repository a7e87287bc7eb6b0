"""Every console path (``/host``, ``/host/...``) but the login asks for a live session
before anything else runs: before the router looks up a duel or competition, before the
body is read. Without one the answer is always the same redirect to the login, whatever
the ids in the path, so the console tells a stranger nothing about what exists."""

from __future__ import annotations

import anyio.to_thread
import redis.exceptions
from starlette._utils import get_route_path
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from web import host_session
from web.errors import store_unavailable_response

LOGIN_PATH = "/host/login"
# Opened from a mail, before there is a session (web/routes/host_members.py).
PUBLIC_PREFIXES = ("/host/invitation/", "/host/password-reset")


def is_console_path(path: str) -> bool:
    if path == LOGIN_PATH or path.startswith(PUBLIC_PREFIXES):
        return False
    return path == "/host" or path.startswith("/host/")


class ConsoleGuard:
    """Pure ASGI; the session found is kept on the request state for the route."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_console_path(get_route_path(scope)):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        refusal: Response | None = None
        try:
            # The blocking store client, as the console's routes use (one thread hop).
            live = await anyio.to_thread.run_sync(host_session.is_logged_in, request)
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
            refusal = store_unavailable_response()
        else:
            refusal = None if live else RedirectResponse(LOGIN_PATH, status_code=303)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, receive, send)
