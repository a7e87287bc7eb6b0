"""Organiser API routes refuse a caller without a valid token before a byte of its body
is read.

FastAPI reads and parses a body before it runs the route's ``allow(...)`` dependency, so
a stranger could make the process buffer and parse whatever they sent. This pure ASGI
guard sits in front of the body limits: a request whose API route (resolved in the
router's order) has a permission rule gets the same 401/403 answer as the dependency
would give for a missing or unknown token (the host token or a personal API key), before
anything reads the body. The role itself is checked by the dependency.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
import redis.exceptions
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts
from starlette._utils import get_route_path
from starlette.datastructures import Headers
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from duels import api_keys, errors
from web.errors import status_for, store_unavailable_response
from web.limits import refuse
from web.security import parse_bearer

_GROUP_NAME = re.compile(r"\(\?P<[^>]+>")


@dataclass(frozen=True, slots=True)
class _Route:
    pattern: re.Pattern[str]
    methods: frozenset[str] | None  # None: any method (mounts)
    host: bool


@dataclass(frozen=True, slots=True)
class _Table:
    routes: tuple[_Route, ...]
    # One regex over the host routes' paths: the fast "certainly not a host route".
    candidates: re.Pattern[str]

    def is_host_route(self, method: str, path: str) -> bool:
        if not self.candidates.match(path):
            return False
        for route in self.routes:
            if route.pattern.match(path) and (route.methods is None or method in route.methods):
                return route.host  # the first full match is the one the router runs
        return False


class HostGuard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._table: _Table | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if self._table is None:
                self._table = _build(scope["app"].routes)
            path = get_route_path(scope)
            if path.startswith("/api/") and self._table.is_host_route(scope["method"], path):
                token = parse_bearer(Headers(scope=scope).get("authorization", ""))
                try:
                    await _authenticate(scope["app"].state, token)
                except errors.DomainError as error:
                    await refuse(send, status_for(error), error.code, error.message)
                    return
                except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError):
                    await store_unavailable_response()(scope, receive, send)
                    return
        await self.app(scope, receive, send)


async def _authenticate(state: Any, token: str | None) -> None:
    if token is None:
        raise errors.Unauthorized(
            "A host token or API key is required.", code="host_token_required"
        )
    settings = state.settings
    found = await anyio.to_thread.run_sync(
        api_keys.principal_for, state.store, token, settings.host_token_value()
    )
    if found is None:
        raise errors.Forbidden("The token is not valid.", code="host_token_invalid")


def _build(routes: Sequence[BaseRoute]) -> _Table:
    table = []
    for route in iter_route_contexts(routes):
        pattern = getattr(route, "path_regex", None)
        if pattern is None:
            continue
        methods = route.methods
        table.append(
            _Route(
                pattern,
                frozenset(methods) if methods else None,
                _needs_host(getattr(route, "dependant", None)),
            )
        )
    host = [route.pattern.pattern for route in table if route.host]
    # Named groups repeat across routes ({cid}, {did}); the union needs none of them.
    union = "|".join(f"(?:{_GROUP_NAME.sub('(?:', pattern)})" for pattern in host)
    return _Table(tuple(table), re.compile(union or r"(?!)"))


def _needs_host(dependant: Dependant | None) -> bool:
    """Does the route carry a permission rule (``web.deps.allow``)?"""
    if dependant is None:
        return False
    return hasattr(dependant.call, "permission") or any(
        _needs_host(child) for child in dependant.dependencies
    )
