"""Request bodies are read whole, small and quickly, before any parser sees them.

Pure ASGI, so the vote hot path pays one buffer copy and nothing else:
- a body over ``max_bytes`` is refused with 413 (by Content-Length before
  reading, else as soon as the count passes the limit);
- a body that trickles in slower than ``timeout`` seconds is refused with 408
  (slowloris-style clients do not hold a worker);
- JSON nested deeper than ``max_depth`` is refused with 422 before parsing.
Only the two upload endpoints (``POST /api/duels/{did}/videos`` and the portal's
``POST /company/{token}/upload/{did}``), matched whole, stream through their own
handler, which authenticates first and enforces its own limit. Host routes are
refused without the host token before this reads a byte (web/host_guard.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import re

import anyio.to_thread
import orjson
import redis.exceptions
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from duels import store
from web.host_session import SESSION_COOKIE, is_logged_in

_STREAMED = re.compile(r"^/(?:api/duels/[^/]+/videos|company/[^/]+/upload/[^/]+)$")
# Console logo uploads (web/routes/host_branding.py) are read whole too, with room for a
# 2 MB image and its multipart framing, for a live console session only (looked up before
# a byte is read; a forged or missing cookie gets the normal limit).
_IMAGES = re.compile(r"^/host/[co]/[^/]+/branding/(?:logo|sponsors)$")
_SESSION = re.compile(rb"(?:^|;)\s*" + SESSION_COOKIE.encode() + rb"=[^;\s]")
# A company's logo in its portal (web/routes/portal_profile.py): the same room, for a valid
# invite token only (looked up before a byte is read).
_COMPANY_LOGO = re.compile(r"^/company/([^/]+)/profile/logo$")
IMAGE_BODY_BYTES = 2 * 1024 * 1024 + 64 * 1024
_WITH_BODY = {"POST", "PUT", "PATCH", "DELETE"}


class BodyLimits:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_bytes: int = 64 * 1024,
        timeout: float = 10.0,
        max_depth: int = 32,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in _WITH_BODY
            or (scope["method"] == "POST" and _STREAMED.match(scope["path"]))
        ):
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        limit = self.max_bytes
        if _IMAGES.match(scope["path"]) and _SESSION.search(headers.get(b"cookie", b"")):
            with contextlib.suppress(redis.exceptions.RedisError):
                live = await anyio.to_thread.run_sync(is_logged_in, Request(scope))
                limit = IMAGE_BODY_BYTES if live else limit
        elif (logo := _COMPANY_LOGO.match(scope["path"])) is not None:
            with contextlib.suppress(redis.exceptions.RedisError):
                known = await anyio.to_thread.run_sync(_company_known, scope, logo[1])
                limit = IMAGE_BODY_BYTES if known else limit
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await refuse(send, 413, "too_large", "The request body is too large.")
            return
        try:
            # asyncio.timeout, not wait_for: no extra task per request on the hot path.
            async with asyncio.timeout(self.timeout):
                body = await self._read(receive, limit)
        except _TooLarge:
            await refuse(send, 413, "too_large", "The request body is too large.")
            return
        except TimeoutError:
            await refuse(send, 408, "body_timeout", "The request body came too slowly.")
            return
        except _Disconnected:
            return
        if (
            b"json" in headers.get(b"content-type", b"")
            and body.count(b"[") + body.count(b"{") > self.max_depth  # cheap, in C
            and _depth(body) > self.max_depth
        ):
            await refuse(send, 422, "too_deep", "The JSON is nested too deeply.")
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # then wait for the disconnect, as ASGI expects
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _read(self, receive: Receive, limit: int) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise _Disconnected
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise _TooLarge
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _company_known(scope: Scope, token: str) -> bool:
    return store.company_for_token(scope["app"].state.store, token) is not None


class _TooLarge(Exception):
    pass


class _Disconnected(Exception):
    pass


def _depth(body: bytes) -> int:
    """Deepest nesting of [ and { outside JSON strings."""
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


async def refuse(send: Send, status: int, code: str, message: str) -> None:
    """An error answer that closes the connection (an unread body must not follow)."""
    body = orjson.dumps({"detail": {"code": code, "message": message}})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
