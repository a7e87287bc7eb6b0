"""Host routes refuse a request without the host token before a byte of its body is read.

FastAPI reads and parses a body before it runs the ``require_host`` dependency, so a
stranger could make the process buffer and parse whatever they sent. This pure ASGI
guard sits in front of the body limits: a request whose route (resolved in the
router's order) depends on ``require_host`` gets the same 401/403 answer as the
dependency would give, before anything reads the body. The dependency stays, for
routes reached some other way and for the API docs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts
from starlette._utils import get_route_path
from starlette.datastructures import Headers
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from duels import errors
from web.errors import status_for
from web.limits import refuse
from web.security import check_host_token, parse_bearer, require_host

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
            if self._table.is_host_route(scope["method"], get_route_path(scope)):
                headers = Headers(scope=scope)
                expected = scope["app"].state.settings.host_token_value()
                try:
                    check_host_token(parse_bearer(headers.get("authorization", "")), expected)
                except errors.DomainError as error:
                    await refuse(send, status_for(error), error.code, error.message)
                    return
        await self.app(scope, receive, send)


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
    if dependant is None:
        return False
    return dependant.call is require_host or any(
        _needs_host(child) for child in dependant.dependencies
    )
