"""Who is asking, and may they: the dependencies every organiser route declares.

The API (``/api/...``) knows a caller by the bearer token only (the host token or a
personal API key); the console (``/host/...``) by its session cookie only, so a console
cookie never authorises an API call and the API needs no CSRF token.

Each route names the permission it needs with ``Depends(allow(Permission.X))``; the
competition it is checked against comes from the path (``cid``, or the duel's ``did``).
``tests/security/test_roles.py`` walks the route table: a route without a rule (and not
listed as public there) fails it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import redis
from fastapi import Depends, Request

from duels import accounts, api_keys, errors, keys
from duels.access import Permission, Principal, permissions, require, require_in_organisation
from web import host_session
from web.security import bearer_token

_UNSET = object()


def is_console(request: Request) -> bool:
    path = request.url.path
    return path == "/host" or path.startswith("/host/")


def principal_of(request: Request) -> Principal | None:
    """The caller (cached on the request); None when nobody is logged in."""
    known = getattr(request.state, "principal", _UNSET)
    if known is not _UNSET:
        return known  # type: ignore[return-value]
    client: redis.Redis = request.app.state.store
    found: Principal | None = None
    if is_console(request):
        uid = host_session.session_user(request)
        if uid:
            email = client.hget(keys.user(uid), "email")
            found = Principal("user", user_id=uid, label=str(email or uid))
    else:
        token = bearer_token(request)
        if token is not None:
            settings = request.app.state.settings
            found = api_keys.principal_for(client, token, settings.host_token_value())
            if found is None:
                raise errors.Forbidden("The token is not valid.", code="host_token_invalid")
    request.state.principal = found
    return found


def signed_in(request: Request) -> Principal:
    principal = principal_of(request)
    if principal is None:
        raise errors.Unauthorized(
            "A host token or API key is required.", code="host_token_required"
        )
    return principal


def competition_in_path(request: Request) -> str | None:
    params = request.path_params
    if "cid" in params:
        return str(params["cid"])
    if "did" in params:
        cid = request.app.state.store.hget(keys.duel(str(params["did"])), "competition")
        if not cid:
            raise errors.NotFound(f"Unknown duel {params['did']!r}.", code="unknown_duel")
        return str(cid)
    return None


def allow(permission: Permission) -> Callable[[Request], Principal]:
    """A dependency: the caller, who must hold ``permission`` for the path's organisation
    (``oid``) or competition (``cid``, the duel's for ``did``); with neither in the path, in
    any organisation they belong to."""

    def dependency(request: Request) -> Principal:
        principal = signed_in(request)
        client = request.app.state.store
        if "oid" in request.path_params:  # an organisation's own page: its role counts
            require_in_organisation(client, principal, permission, str(request.path_params["oid"]))
        else:
            require(client, principal, permission, competition_in_path(request))
        return principal

    dependency.permission = permission  # type: ignore[attr-defined]
    dependency.__name__ = f"allow_{permission.value}"
    return dependency


def may(request: Request, permission: Permission) -> bool:
    """Whether the caller (bearer token, else console session) holds ``permission`` for
    the path's competition; for pages and read models that show organisers more."""
    client: redis.Redis = request.app.state.store
    try:
        principal = principal_of(request)
        if principal is None:
            uid = host_session.session_user(request)
            principal = Principal("user", user_id=uid, label=uid) if uid else None
        if principal is None:
            return False
        return permission in permissions(client, principal, competition_in_path(request))
    except errors.DomainError:
        return False


def roles_held(request: Request) -> frozenset[str]:
    """The roles the console's person holds anywhere (for navigation; each route still
    checks its own rule)."""
    known = getattr(request.state, "roles_held", None)
    if known is None:
        uid = host_session.session_user(request) if is_console(request) else None
        held = request.app.state.store.hvals(keys.user_roles(uid)) if uid else []
        known = frozenset(str(role) for role in held)
        request.state.roles_held = known
    return known


def current_user(request: Request) -> accounts.User:
    """The console's logged-in person (any role)."""
    principal = signed_in(request)
    if not principal.user_id:
        raise errors.Forbidden("This page is for personal accounts.", code="role_forbidden")
    return accounts.get_user(request.app.state.store, principal.user_id)


current_user.permission = None  # type: ignore[attr-defined]  # signed in, any role

Members = Annotated[Principal, Depends(allow(Permission.MEMBERS))]
Configurer = Annotated[Principal, Depends(allow(Permission.CONFIGURE))]
Runner = Annotated[Principal, Depends(allow(Permission.RUN))]
Moderator = Annotated[Principal, Depends(allow(Permission.MODERATE))]
Juror = Annotated[Principal, Depends(allow(Permission.JURY))]
Reader = Annotated[Principal, Depends(allow(Permission.READ))]
Person = Annotated[accounts.User, Depends(current_user)]
