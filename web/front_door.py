"""The vote API's front door: ``POST /api/duels/{did}/votes`` is served before the
middleware stack and the router, which cost a vote more CPU than its own logic (a layer
per call and another per message sent; py-spy, docs/design.md "Performance").

What those layers do for a vote is done here, with the same code: the client's address
behind trusted proxies (:class:`~web.proxies.ForwardedClient`), the body limits
(:class:`~web.limits.BodyLimits`), the security headers, and a 500 for an unexpected
error. The route stays documented by FastAPI (``web/routes/vote.py``), and every other
request takes the full stack.
"""

from __future__ import annotations

import logging
import re

import orjson
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.limits import BodyLimits
from web.proxies import ForwardedClient
from web.routes.vote import serve_vote
from web.security import SECURITY_HEADERS

log = logging.getLogger(__name__)
VOTE_PATH = re.compile(r"^/api/duels/([^/]+)/votes$")


class VoteFrontDoor:
    def __init__(self, stack: ASGIApp, app: FastAPI) -> None:
        self.stack = stack
        settings = app.state.settings
        self.proxies = ForwardedClient(stack, trusted=settings.trusted_proxies)
        self.vote = BodyLimits(
            serve_vote,
            max_bytes=settings.max_body_bytes,
            timeout=settings.body_timeout_seconds,
            max_depth=settings.max_json_depth,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.stack(scope, receive, send)
            return
        matched = VOTE_PATH.match(scope["path"])
        if matched is None:
            await self.stack(scope, receive, send)
            return
        self.proxies.resolve(scope)
        scope["path_params"] = {"did": matched.group(1)}
        started = False

        async def send_secured(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", ()), *SECURITY_HEADERS]
            await send(message)

        try:
            await self.vote(scope, receive, send_secured)
        except Exception:
            if not started:
                body = orjson.dumps(
                    {"detail": {"code": "internal_error", "message": "Something went wrong."}}
                )
                await send_secured(
                    {
                        "type": "http.response.start",
                        "status": 500,
                        "headers": [(b"content-type", b"application/json")],
                    }
                )
                await send_secured({"type": "http.response.body", "body": body})
            raise


class MachMal(FastAPI):
    """FastAPI with the vote front door outside its middleware stack."""

    def build_middleware_stack(self) -> ASGIApp:
        return VoteFrontDoor(super().build_middleware_stack(), self)
