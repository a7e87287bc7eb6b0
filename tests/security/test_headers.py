"""Security headers on every page and API answer (errors included), no inline script or
style in any page, and HttpOnly + SameSite on every cookie we set."""

from __future__ import annotations

import re
from http.cookies import SimpleCookie

import httpx
import pytest
import redis
from starlette.testclient import TestClient

from duels import store, tournament
from tests.accounts import OWNER_EMAIL, PASSWORD, account, csrf_of, log_in
from tests.conftest import ClientFactory
from tests.support import Process

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)


@pytest.fixture
def ids(redis_client: redis.Redis) -> dict[str, str]:
    cid = store.create_competition(redis_client, "Kopfzeilen").id
    company, token = store.add_company(redis_client, cid, "Firma")
    teams = [store.add_team(redis_client, cid, company.id, f"T{n}", "Koch/Köchin") for n in (1, 2)]
    tournament.draw(redis_client, cid, seeding="manual", order=[t.id for t in teams])
    (duel,) = store.duels_of_competition(redis_client, cid)
    tournament.open_voting(redis_client, duel.id)
    return {"cid": cid, "did": duel.id, "token": token}


PAGES = [
    "/", "/vote/{did}", "/poster/duels/{did}", "/live/{cid}", "/live/{cid}?mode=projector",
    "/live/{cid}/board", "/company/{token}", "/company/not-a-token", "/host/login", "/docs",
    "/vote/no-such-duel",
]  # fmt: skip
HOST_PAGES = ["/host", "/host/c/{cid}", "/host/c/{cid}/posters", "/host/duels/{did}/quarantine"]
API = [
    ("GET", "/api/duels/{did}", {}, 200),
    ("GET", "/api/competitions/{cid}/bracket", {}, 200),
    ("GET", "/api/competitions/{cid}/leaderboard", {}, 200),
    ("GET", "/api/competitions/{cid}/feed", {}, 200),
    ("GET", "/api/duels/{did}/challenge", {}, 200),
    ("GET", "/qr/duels/{did}.svg", {}, 200),
    ("GET", "/healthz", {}, 200),
    ("GET", "/metrics", {}, 403),  # the test client is no loopback client
    ("GET", "/openapi.json", {}, 200),
    ("GET", "/static/style.css", {}, 200),
    ("POST", "/api/competitions", {}, 401),
    ("POST", "/api/competitions", {"Authorization": "Bearer wrong"}, 403),
    ("POST", "/api/duels/{did}/votes", {}, 401),
    ("GET", "/api/duels/nope", {}, 404),
    ("GET", "/api/no-such-thing", {}, 404),
    ("DELETE", "/api/duels/{did}", {}, 405),
]


def assert_security_headers(response: httpx.Response, where: str) -> None:
    headers = response.headers
    csp = headers.get("content-security-policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in csp.split("; ") if part}
    assert directives.get("script-src") == ["'self'"], where
    assert directives.get("style-src") == ["'self'"], where
    assert directives.get("frame-ancestors") == ["'none'"], where
    assert directives.get("object-src") == ["'none'"], where
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, where
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("referrer-policy") == "same-origin", where
    assert headers.get("x-frame-options") == "DENY", where


def assert_no_inline_code(page: str, where: str) -> None:
    assert not INLINE_SCRIPT.search(page), f"inline <script> on {where}"
    assert not INLINE_STYLE.search(page), f"inline style on {where}"
    assert not EVENT_HANDLER.search(page), f"inline event handler on {where}"


def test_every_page_has_the_headers_and_no_inline_code(
    client: TestClient, ids: dict[str, str]
) -> None:
    for path in PAGES:
        url = path.format(**ids)
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert_security_headers(response, url)
        assert_no_inline_code(response.text, url)
    log_in(client)
    for path in HOST_PAGES:
        url = path.format(**ids)
        response = client.get(url)
        assert response.status_code == 200, url
        assert_security_headers(response, url)
        assert_no_inline_code(response.text, url)


@pytest.mark.parametrize(("method", "path", "headers", "status"), API)
def test_every_api_answer_has_the_headers(
    client: TestClient,
    ids: dict[str, str],
    method: str,
    path: str,
    headers: dict[str, str],
    status: int,
) -> None:
    url = path.format(**ids)
    response = client.request(method, url, headers=headers)
    assert response.status_code == status, response.text
    assert_security_headers(response, url)


def test_refusals_of_the_body_limits_have_the_headers(
    client: TestClient, host_headers: dict[str, str]
) -> None:
    too_large = {**host_headers, "content-type": "application/json", "content-length": "99999999"}
    response = client.post("/api/competitions", content=b"{}", headers=too_large)
    assert response.status_code == 413
    assert_security_headers(response, "413")


def test_the_event_stream_has_the_headers(web_server: Process, ids: dict[str, str]) -> None:
    with (
        httpx.Client(base_url=web_server.url, timeout=10) as http,
        http.stream("GET", f"/api/competitions/{ids['cid']}/events") as response,
    ):
        assert response.status_code == 200
        assert_security_headers(response, "event stream")


def cookie_attributes(response: httpx.Response) -> dict[str, dict[str, str | bool]]:
    found: dict[str, dict[str, str | bool]] = {}
    for header in response.headers.get_list("set-cookie"):
        jar: SimpleCookie = SimpleCookie()
        jar.load(header)
        for name, morsel in jar.items():
            found[name] = {key: morsel[key] for key in ("httponly", "samesite", "path")}
    return found


def test_every_cookie_is_httponly_and_samesite(client: TestClient, ids: dict[str, str]) -> None:
    cookies: dict[str, dict[str, str | bool]] = {}
    cookies.update(cookie_attributes(client.get(f"/vote/{ids['did']}")))
    cookies.update(cookie_attributes(client.get("/?lang=en")))
    login_page = client.get("/host/login")
    cookies.update(cookie_attributes(login_page))
    account(client.app.state.store)  # type: ignore[attr-defined]
    form = {"email": OWNER_EMAIL, "password": PASSWORD, "csrf": csrf_of(login_page.text)}
    response = client.post("/host/login", data=form, follow_redirects=False)
    cookies.update(cookie_attributes(response))
    assert {"mm_voter", "mm_lang", "mm_csrf", "mm_host"} <= set(cookies)
    expected = {"mm_voter": "lax", "mm_lang": "lax", "mm_csrf": "strict", "mm_host": "strict"}
    for name, attributes in cookies.items():
        assert attributes["httponly"] is True, name
        assert str(attributes["samesite"]).lower() == expected.get(name, "strict"), name
        assert attributes["path"] == "/", name


def test_cookies_are_secure_behind_https(client_from: ClientFactory, ids: dict[str, str]) -> None:
    http = client_from(public_url="https://duell.example.org")
    response = http.get(f"/vote/{ids['did']}")
    (header,) = response.headers.get_list("set-cookie")
    jar: SimpleCookie = SimpleCookie()
    jar.load(header)
    assert jar["mm_voter"]["secure"] is True


def test_votes_through_the_front_door_carry_the_headers(
    client: TestClient, ids: dict[str, str], redis_client: redis.Redis
) -> None:
    """The vote API is served before the middleware stack (web/front_door.py): accepted,
    refused and oversized votes still get every header, and its limits."""
    did = ids["did"]
    assert client.get(f"/vote/{did}").status_code == 200  # the voter cookie
    (duel,) = [d for d in store.duels_of_competition(redis_client, ids["cid"]) if d.id == did]
    accepted = client.post(f"/api/duels/{did}/votes", json={"team_id": duel.home})
    assert accepted.status_code == 202, accepted.text
    assert_security_headers(accepted, "202 vote")
    again = client.post(f"/api/duels/{did}/votes", json={"team_id": duel.home})
    assert again.status_code == 409
    assert_security_headers(again, "409 vote")
    huge = client.post(
        f"/api/duels/{did}/votes",
        content=b'{"team_id": "' + b"x" * 200_000 + b'"}',
        headers={"Content-Type": "application/json"},
    )
    assert huge.status_code == 413 and huge.json()["detail"]["code"] == "too_large"
    assert_security_headers(huge, "413 vote")
