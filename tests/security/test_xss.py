"""Script payloads in team, company and competition names and trades are shown escaped
on every page that shows them; the CSV export neutralises spreadsheet formulas."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import pytest
import redis
from starlette.testclient import TestClient

from duels import store, tournament
from tests.accounts import log_in
from tests.host.helpers import record_official_counts

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
IFRAME = "<iframe src=javascript:alert(3)>"
# What Jinja2's autoescape makes of them (" -> &#34;).
ESCAPED = {
    SCRIPT: "&lt;script&gt;alert(1)&lt;/script&gt;",
    IMG: "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;",
    IFRAME: "&lt;iframe src=javascript:alert(3)&gt;",
}
RAW_MARKERS = ("<script>alert", "<img src=x", "<iframe src=javascript")
FORMULAS = ('=HYPERLINK("http://evil.example","Klick")', "@SUM(1+1)*cmd|' /C calc'!A0", "+1-2")


@dataclass
class Hostile:
    cid: str
    duel: str  # round 1: team SCRIPT (company IMG) against team IMG (company formula)
    token: str  # invite token of the IMG company


@pytest.fixture
def hostile(redis_client: redis.Redis) -> Hostile:
    competition = store.create_competition(redis_client, f"Cup {SCRIPT}")
    cid = competition.id
    img_company, token = store.add_company(redis_client, cid, f"Firma {IMG}")
    formula_company, _ = store.add_company(redis_client, cid, FORMULAS[0])
    teams = [
        store.add_team(redis_client, cid, img_company.id, SCRIPT, f"Koch {IFRAME}"),
        store.add_team(redis_client, cid, formula_company.id, "Team Zwei", FORMULAS[2]),
        store.add_team(redis_client, cid, img_company.id, FORMULAS[1], "Maurer/in"),
        # Seeded last, so it meets the first team (1 v 4, 2 v 3).
        store.add_team(redis_client, cid, formula_company.id, f"Team {IMG}", "Bäcker/in"),
    ]
    tournament.draw(redis_client, cid, seeding="manual", order=[t.id for t in teams])
    duels = sorted(store.duels_of_competition(redis_client, cid), key=lambda d: d.match)
    first = next(d for d in duels if teams[0].id in d.teams)
    assert teams[3].id in first.teams
    for duel in duels:
        tournament.open_voting(redis_client, duel.id)
    tournament.close_voting(redis_client, next(d.id for d in duels if d.id != first.id))
    return Hostile(cid, first.id, token)


def assert_escaped(page: str, payloads: tuple[str, ...], where: str) -> None:
    for marker in RAW_MARKERS:
        assert marker not in page, f"raw payload {marker!r} on {where}"
    for payload in payloads:
        assert ESCAPED[payload] in page, f"{payload!r} not shown escaped on {where}"


AUDIENCE_PAGES = [
    ("/vote/{duel}", (SCRIPT, IMG, IFRAME)),
    ("/poster/duels/{duel}", (SCRIPT, IMG, IFRAME)),
    ("/live/{cid}", (SCRIPT, IMG)),
    ("/live/{cid}?mode=projector", (SCRIPT, IMG)),
    ("/live/{cid}/board", (SCRIPT, IMG)),
    ("/", (SCRIPT,)),
    ("/company/{token}", (SCRIPT, IMG, IFRAME)),
]
HOST_PAGES = [
    ("/host", (SCRIPT,)),
    ("/host/c/{cid}", (SCRIPT, IMG, IFRAME)),
    ("/host/c/{cid}/posters?round=1", (SCRIPT, IMG)),
    ("/host/duels/{duel}/quarantine", (SCRIPT, IMG)),
]


@pytest.mark.parametrize(("path", "payloads"), AUDIENCE_PAGES, ids=[p for p, _ in AUDIENCE_PAGES])
def test_audience_and_company_pages_escape_names(
    client: TestClient, hostile: Hostile, path: str, payloads: tuple[str, ...]
) -> None:
    url = path.format(cid=hostile.cid, duel=hostile.duel, token=hostile.token)
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert_escaped(response.text, payloads, url)


@pytest.mark.parametrize(("path", "payloads"), HOST_PAGES, ids=[p for p, _ in HOST_PAGES])
def test_host_console_pages_escape_names(
    client: TestClient, hostile: Hostile, path: str, payloads: tuple[str, ...]
) -> None:
    log_in(client)
    url = path.format(cid=hostile.cid, duel=hostile.duel)
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert_escaped(response.text, payloads, url)


def test_advance_confirmation_escapes_names(
    client: TestClient, hostile: Hostile, redis_client: redis.Redis
) -> None:
    duel = store.get_duel(redis_client, hostile.duel)
    tournament.close_voting(redis_client, duel.id)
    for record in store.duels_of_competition(redis_client, hostile.cid):
        record_official_counts(redis_client, record.id, {record.home: 5, record.away: 2})
    log_in(client)
    response = client.get(f"/host/c/{hostile.cid}/advance")
    assert response.status_code == 200, response.text
    assert_escaped(response.text, (SCRIPT, IMG), "the advance confirmation")


def test_csv_export_neutralises_formulas(client: TestClient, hostile: Hostile) -> None:
    log_in(client)
    response = client.get(f"/host/c/{hostile.cid}/results.csv")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"].startswith("attachment")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    cells = [cell for row in rows[1:] for cell in row]
    dangerous = [cell for cell in cells if re.match(r"^[=+\-@\t\r]", cell)]
    assert dangerous == [], "cells a spreadsheet would run as formulas"
    for formula in FORMULAS:
        assert any(cell.startswith("'" + formula) for cell in cells), f"{formula!r} not quoted"
    assert SCRIPT in cells  # a CSV is data: names stay as they are


def test_json_answers_are_not_sniffed_as_html(client: TestClient, hostile: Hostile) -> None:
    response = client.get(f"/api/duels/{hostile.duel}")
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["x-content-type-options"] == "nosniff"
    names = {team["name"] for team in response.json()["teams"]}
    assert SCRIPT in names  # data, left to the client to escape
