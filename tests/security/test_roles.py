"""Every organiser route checks the caller's role (#15).

The matrix is generated from the app's route table: a route carries a rule
(``web.deps.allow(Permission.X)``, or ``current_user`` for pages every signed-in person
may open, with their own checks inside) or is listed in ``PUBLIC`` below. A new route with
neither fails ``test_every_route_has_a_rule``. Then every ruled route is called as every
role: API routes with a personal API key of a person holding that role, console routes
with that person's session; a role without the permission gets 403 ``role_forbidden``
before anything runs, a role with it gets past the check (any other answer). The table
is written to artifacts/role-matrix.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.testclient import TestClient

from duels import api_keys, organisations
from duels.access import ROLE_ORDER, ROLE_PERMISSIONS, Permission, Role
from duels.settings import Settings
from tests.accounts import PASSWORD, account, csrf_of, log_in_form
from tests.host.helpers import Host
from web.app import create_app

# Routes anyone may call: the audience, the company portal (its own invite token), the
# login and the account links that work without a session, read models, assets.
PUBLIC = re.compile(
    r"^(GET|HEAD|POST) (/openapi\.json|/docs|/healthz|/metrics|/"
    r"|/api/duels/\{did\}(/votes|/challenge|/reach)?|/api/duels/\{did\}/videos|/go/.*"
    r"|/api/competitions/\{cid\}(/bracket|/events|/leaderboard|/feed)?"
    r"|/vote/.*|/verify/.*|/code.*|/live/.*|/qr/.*|/poster/.*|/cards/.*|/screen/.*|/stage/.*"
    r"|/company/.*|/media/.*|/brand/.*|/o/.*|/embed/.*|/c/.*|/berufe/.*"
    r"|/api/competitions/\{cid\}/places"
    r"|/host/login|/host/logout|/host/logout-everywhere"
    r"|/host/password-reset.*|/host/invitation/.*)$"
    r"|^(GET|PUT|POST|DELETE) /api/portal/.*$"  # the company's own invite token (#19)
)
SIGNED_IN = "signed in"
VERBS = ("verdict", "action")
ARTIFACT = Path(__file__).resolve().parents[2] / "artifacts" / "role-matrix.md"


@dataclass(frozen=True)
class Rule:
    method: str
    path: str
    need: Permission | str  # a permission, or SIGNED_IN


def rules_of(app: Any) -> tuple[list[Rule], list[str]]:
    found, unruled = [], []
    for context in iter_route_contexts(app.routes):
        route = context.route
        if not isinstance(route, APIRoute):
            continue
        for method in sorted(set(context.methods or ()) - {"HEAD"}):
            need = _need(context.dependant)
            if need is not None:
                found.append(Rule(method, context.path, need))
            elif not PUBLIC.match(f"{method} {context.path}"):
                unruled.append(f"{method} {context.path}")
    return found, unruled


def _need(dependant: Dependant) -> Permission | str | None:
    """The route's permission; SIGNED_IN when its only rule is "a signed-in person"."""
    found: Permission | str | None = None
    for child in dependant.dependencies:
        if hasattr(child.call, "permission"):
            permission = child.call.permission
            if isinstance(permission, Permission):
                return permission
            found = SIGNED_IN
        deeper = _need(child)
        if isinstance(deeper, Permission):
            return deeper
        found = found or deeper
    return found


def test_every_route_has_a_rule(settings: Settings) -> None:
    _, unruled = rules_of(create_app(settings))
    assert not unruled, f"routes without a role rule (add allow(...) or list as public): {unruled}"


@dataclass
class World:
    cid: str
    did: str
    api: dict[Role, dict[str, str]]  # role -> API headers (its person's key)
    console: dict[Role, TestClient]


@pytest.fixture
def world(
    client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis
) -> Iterator[World]:
    host = Host(client, host_headers)
    cid, _ = host.competition(teams=4)
    host.post(f"/api/competitions/{cid}/bracket", {"seed": 5}, 201)
    did = host.current_duels(cid)[0]["id"]
    api: dict[Role, dict[str, str]] = {}
    console: dict[Role, TestClient] = {}
    for role in ROLE_ORDER:
        email = f"{role.value}@example.org"
        user = account(redis_client, email, role, scope=f"o:{organisations.DEFAULT}")
        if role is Role.JURY:
            organisations.assign_jury(redis_client, cid, user.id, [])
        _, secret = api_keys.create(redis_client, user.id, "matrix", role)
        api[role] = {"Authorization": f"Bearer {secret}"}
        browser = TestClient(client.app, follow_redirects=False)
        assert log_in_form(browser, email, PASSWORD).status_code == 303
        console[role] = browser
    yield World(cid, did, api, console)


def _call(world: World, role: Role, rule: Rule) -> int:
    path = rule.path.replace("{cid}", world.cid).replace("{did}", world.did)
    path = path.replace("{oid}", organisations.DEFAULT)
    path = re.sub(
        r"\{(\w+)\}", lambda m: "include" if m[1] in ("verdict", "action") else "x1", path
    )
    if rule.path.startswith("/api/"):
        http = world.console[role]  # any client; the API reads only the bearer token
        headers = world.api[role]
        response = http.request(rule.method, path, headers=headers, json={})
    else:
        http = world.console[role]
        data = {"csrf": csrf_of(http.get("/host/account").text)} if rule.method == "POST" else None
        response = http.request(rule.method, path, data=data)
    if response.status_code == 403 and "json" in response.headers.get("content-type", ""):
        assert response.json()["detail"]["code"] == "role_forbidden", (role, rule, response.text)
    return response.status_code


def test_role_matrix(world: World, settings: Settings) -> None:
    ruled, _ = rules_of(create_app(settings))
    assert len(ruled) > 40
    rows, wrong = [], []
    for rule in ruled:
        cells = []
        for role in ROLE_ORDER:
            status = _call(world, role, rule)
            if rule.need == SIGNED_IN:  # its own checks inside (e.g. owners only)
                allowed = status != 403
            else:
                allowed = rule.need in ROLE_PERMISSIONS[role]
            if allowed == (status == 403) or status == 401:
                wrong.append(f"{role.value} {rule.method} {rule.path} -> {status}")
            cells.append("✓" if status != 403 else "403")
        rows.append(f"| {rule.method} {rule.path} | {rule.need} | " + " | ".join(cells) + " |")
    assert not wrong, wrong
    header = "| route | needs | " + " | ".join(role.value for role in ROLE_ORDER) + " |"
    ARTIFACT.parent.mkdir(exist_ok=True)
    ARTIFACT.write_text(
        "\n".join([header, "|" + " --- |" * (2 + len(ROLE_ORDER)), *rows]) + "\n", "utf-8"
    )


def test_without_credentials_every_ruled_route_is_closed(world: World, settings: Settings) -> None:
    ruled, _ = rules_of(create_app(settings))
    stranger = TestClient(world.console[Role.OWNER].app, follow_redirects=False)
    for rule in ruled:
        path = re.sub(r"\{(\w+)\}", "x1", rule.path.replace("{cid}", world.cid))
        response = stranger.request(rule.method, path)
        if rule.path.startswith("/api/"):
            assert response.status_code == 401, (rule, response.status_code)
        else:
            assert (response.status_code, response.headers.get("location")) == (303, "/host/login")
