"""Console hardening (#13 item 7): CSV cells a spreadsheet would run, a token on /metrics,
no existence oracle before the login, and one-time secrets kept out of URLs."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass

import pytest
import redis
from fastapi.routing import iter_route_contexts
from pydantic import SecretStr
from starlette.testclient import TestClient

from duels import keys, screens, store, tournament
from duels.settings import Settings
from tests.conftest import ClientFactory
from tests.security.test_sessions import OFFICE, VENUE, log_in
from web.app import create_app
from web.console_guard import is_console_path

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
METRICS_TOKEN = "metrics-token-" + "Pq7Wz2Lk" * 3


# (a) CSV ----------------------------------------------------------------------------------


def rows_of(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("=1+1", "'=1+1"), ("+49 30", "'+49 30"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"), ("\r=1+1", "'\r=1+1"), ("Koch/Köchin", "Koch/Köchin"),
        ("", ""), (-2, -2), (None, None),
    ],
)  # fmt: skip
def test_one_helper_neutralises_every_formula_start(raw: object, safe: object) -> None:
    from web.csv_export import safe_cell

    assert safe_cell(raw) == safe


def test_no_exported_csv_cell_starts_a_formula(
    client_from: ClientFactory, redis_client: redis.Redis, host_headers: dict[str, str]
) -> None:
    cid = store.create_competition(redis_client, "=Pokal").id
    evil = store.add_company(redis_client, cid, '=HYPERLINK("http://evil.example","x")')[0]
    plain = store.add_company(redis_client, cid, "+Firma")[0]
    teams = [
        store.add_team(redis_client, cid, evil.id, "-Team", "=1+1"),
        store.add_team(redis_client, cid, plain.id, "@Team", "Koch/Köchin"),
    ]
    tournament.draw(redis_client, cid, seeding="manual", order=[t.id for t in teams])
    (duel,) = store.duels_of_competition(redis_client, cid)
    tournament.walkover(redis_client, duel.id, duel.home, "=cmd|' /C calc'!A0")
    # `machmal import` restores records as they are, without the whitespace clean-up of the
    # forms: a crafted backup brings names that start with a tab or a carriage return.
    for key, field, name in (
        (keys.teams(cid), teams[1].id, "\t=1+1"), (keys.companies(cid), plain.id, "\r@SUM(1)")
    ):  # fmt: skip
        record = json.loads(str(redis_client.hget(key, field)))
        redis_client.hset(key, field, json.dumps({**record, "name": name}))
    host = client_from(OFFICE)
    log_in(host)
    assert host.post(f"/api/competitions/{cid}/codes", json={"count": 3}, headers=host_headers)
    exports = {
        "results": host.get(f"/host/c/{cid}/results.csv"),
        "codes": host.get(f"/host/c/{cid}/codes.csv"),
        "codes api": host.get(f"/api/competitions/{cid}/codes.csv", headers=host_headers),
    }
    for name, answer in exports.items():
        assert answer.status_code == 200, name
        cells = [cell for row in rows_of(answer.content) for cell in row]
        assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)], name
    results = rows_of(exports["results"].content)
    assert "'=1+1" in results[1] and "'=cmd|' /C calc'!A0" in results[1]
    assert "'-Team" in results[1] and "'\t=1+1" in results[1] and "'\r@SUM(1)" in results[1]


# (b) /metrics ------------------------------------------------------------------------------


@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.10", "::1"])
def test_metrics_without_a_token_answer_loopback_only(
    client_from: ClientFactory, address: str
) -> None:
    assert client_from(address).get("/metrics").status_code == 200
    for outside in (OFFICE, VENUE, "2001:db8::1"):
        refused = client_from(outside).get("/metrics")
        assert refused.status_code == 403, outside
        assert refused.json()["detail"]["code"] == "metrics_local_only"


def test_metrics_refuse_the_test_client_as_not_loopback(settings: Settings) -> None:
    """TestClient's address is "testclient": no loopback address, so no metrics."""
    with TestClient(create_app(settings)) as client:
        assert client.get("/metrics").status_code == 403


def test_metrics_with_a_token_need_the_bearer_token(client_from: ClientFactory) -> None:
    token = SecretStr(METRICS_TOKEN)
    for address in (VENUE, "127.0.0.1"):
        scraper = client_from(address, metrics_token=token)
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": METRICS_TOKEN}):
            refused = scraper.get("/metrics", headers=headers)
            assert refused.status_code == 401, (address, headers)
            assert refused.headers["www-authenticate"] == "Bearer"
        answer = scraper.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
        assert answer.status_code == 200
        assert "machmal_votes_accepted_total" in answer.text


# (c) No existence oracle before the login --------------------------------------------------


@dataclass
class Known:
    cid: str
    did: str
    team_id: str
    screen_id: str


@pytest.fixture
def known(redis_client: redis.Redis, host_headers: dict[str, str], client: TestClient) -> Known:
    cid = store.create_competition(redis_client, "Orakel").id
    company = store.add_company(redis_client, cid, "Firma")[0]
    teams = [store.add_team(redis_client, cid, company.id, f"T{n}", "Koch/Köchin") for n in (1, 2)]
    tournament.draw(redis_client, cid, seeding="manual", order=[t.id for t in teams])
    (duel,) = store.duels_of_competition(redis_client, cid)
    screen = screens.issue_screen(redis_client, cid, "Bühne")[0]
    client.post(f"/api/competitions/{cid}/codes", json={"count": 2}, headers=host_headers)
    return Known(cid, duel.id, teams[0].id, screen.id)


FORM = {
    "csrf": "0" * 64, "title": "x", "name": "x", "trade": "x", "company_id": "x", "format":
    "single_elimination", "seeding": "random", "reason": "x", "round": "1", "winner": "x",
    "count": "1", "mode": "open", "admission": "open",
}  # fmt: skip


def console_requests(app_routes: list[object], values: dict[str, str]) -> list[tuple[str, str]]:
    found = []
    for route in iter_route_contexts(app_routes):  # type: ignore[arg-type]
        path = route.path or ""
        if is_console_path(path):  # the login and the account links are public
            url = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "x1"), path)
            found += [(method, url) for method in sorted(route.methods or ())]
    return found


def test_every_console_route_answers_the_login_redirect_whatever_the_id(
    client_from: ClientFactory, known: Known
) -> None:
    browser = client_from(VENUE)
    real = {
        "cid": known.cid, "did": known.did, "team_id": known.team_id, "team": known.team_id,
        "screen_id": known.screen_id, "group": "burst-n-0123456789ab", "verdict": "include",
        "ref": "1", "action": "revoke", "uid": "u-juror",
    }  # fmt: skip
    made_up = {**real, "cid": "cnosuch1", "did": "dnosuch1", "team_id": "tnosuch1",
               "team": "tnosuch1", "screen_id": "snosuch1", "ref": "9999",
               "group": "nosuch", "uid": "unosuch1"}  # fmt: skip
    routes = browser.app.routes  # type: ignore[attr-defined]
    requests = console_requests(routes, real), console_requests(routes, made_up)
    pairs = list(zip(*requests, strict=True))
    assert len(pairs) >= 25
    differing = []
    for (method, url), (_, other) in pairs:
        answers = [
            browser.request(method, where, data=FORM if method == "POST" else None)
            for where in (url, other)
        ]
        seen = [(a.status_code, a.headers.get("location"), a.content[:60]) for a in answers]
        if not seen[0] == seen[1] == (303, "/host/login", b""):
            differing.append((method, url, seen))
    assert not differing


# (d) One-time secrets never in a URL -------------------------------------------------------


@pytest.mark.parametrize(("form", "field", "public_path", "ok"), [
    ("companies", "invite-url", "/company/", "company_added"),
    ("screens", "screen-url", "/screen/", "screen_issued"),
])  # fmt: skip
def test_an_issued_secret_is_shown_once_and_never_put_in_a_url(
    client_from: ClientFactory,
    redis_client: redis.Redis,
    form: str,
    field: str,
    public_path: str,
    ok: str,
) -> None:
    """The invite link / screen key waits server-side for one view of the session that
    issued it; the redirect goes to a clean URL (no secret in history, logs, Referer)."""
    cid = store.create_competition(redis_client, "Einmal").id
    host, colleague = client_from(OFFICE), client_from(VENUE)
    csrf = log_in(host)
    log_in(colleague)
    issued = host.post(f"/host/c/{cid}/{form}", data={"name": "Bühne / Firma", "csrf": csrf})
    assert issued.status_code == 303
    location = issued.headers["location"]
    assert location == f"/host/c/{cid}?ok={ok}"
    (stashed,) = redis_client.scan_iter("mm:host-once:*")
    assert 0 < redis_client.ttl(stashed) <= 300
    assert f'id="{field}"' not in colleague.get(f"/host/c/{cid}").text  # not for other sessions
    page = host.get(location)
    assert page.headers["cache-control"] == "no-store"
    found = re.search(rf'id="{field}" readonly value="[^"]*{public_path}([^"]+)"', page.text)
    assert found, "shown once"
    secret = found.group(1)
    assert len(secret) >= 20 and secret not in location
    assert f'id="{field}"' not in host.get(location).text  # and only once
    assert not list(redis_client.scan_iter("mm:host-once:*"))
