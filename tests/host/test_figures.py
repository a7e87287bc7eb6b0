"""Reach figures per company (voting.reach_figures): a company sees only its own in its
portal, hosts see every company's in the console; tables, inline SVG bars, CSV."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
import redis
from starlette.testclient import TestClient

from tests.accounts import log_in
from tests.conftest import ClientFactory
from tests.host.helpers import record_official_counts
from tests.voting.test_reach import DAY1, DAY2, Today, _beacon, _phone, make_world
from voting import reach
from voting.reach_figures import CSV_COLUMNS

NUMBERS = ("views", "plays", "ends", "completion", "clicks")


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Today:
    return Today(monkeypatch)


@pytest.fixture
def counted(
    make_client: ClientFactory,
    host_headers: dict[str, str],
    redis_client: redis.Redis,
    today: Today,
) -> dict[str, Any]:
    """Two days of reach: the home company's video played by two voters (one to the end
    each day), the away team's by one; clicks on both companies' places; official votes."""
    world = make_world(make_client, host_headers, redis_client)
    cid, did, home, away = world["cid"], world["duel"], world["home"], world["away"]
    team_company = world["team_company"]
    world["home_company"], world["away_company"] = team_company[home], team_company[away]
    places = {place.company_id: place for place in world["places"]}
    first, second = _phone(make_client), _phone(make_client, "198.51.100.8")
    for phone in (first, second):
        phone.get(f"/vote/{did}")
        _beacon(phone, did, {"event": "play", "team": home})
    _beacon(first, did, {"event": "end", "team": home})
    _beacon(first, did, {"event": "play", "team": away})
    first.get(f"/go/{cid}/{places[world['home_company']].id}?d={did}")
    second.get(f"/go/{cid}/{places[world['away_company']].id}")
    _phone(make_client, agent="WhatsApp/2.23.20.0 A").get(f"/vote/{did}")  # not counted
    today.day = DAY2
    first.get(f"/vote/{did}")
    _beacon(first, did, {"event": "end", "team": home})
    record_official_counts(redis_client, did, {home: 7, away: 3})
    for side in ("home", "away"):
        company = world[f"{side}_company"]
        world[f"{side}_token"] = world["host"].post(
            f"/api/competitions/{cid}/companies/{company}/invite"
        )["invite_token"]
    return world


def _section(page: str, company: str) -> str:
    start = page.index(f'data-company="{company}" aria-labelledby')
    end = page.find('<section class="card reach-company"', start + 1)
    return page[start : end if end != -1 else len(page)]


def _rows(section: str, table: str) -> dict[str, dict[str, str]]:
    """The numbers of a table's rows by their day (or duel:team, place)."""
    body = section[section.index(f'data-table="{table}"') :]
    body = body[: body.index("</table>")]
    rows = {}
    for match in re.finditer(r"<tr ([^>]*)>(.*?)</tr>", body, re.S):
        attrs = dict(re.findall(r'data-(\w+)="([^"]*)"', match.group(1)))
        cells = dict(re.findall(r"<td data-(\w+)>([^<]*)</td>", match.group(2)))
        key = attrs.get("day") or attrs.get("place") or f"{attrs.get('duel')}:{attrs.get('team')}"
        rows[key] = cells
    return rows


def _totals(section: str) -> dict[str, str]:
    block = section[section.index("data-total>") : section.index("</dl>")]
    return dict(re.findall(r"<dd data-(\w+)>([^<]*)</dd>", block))


def test_a_company_sees_its_own_figures_only(
    make_client: ClientFactory, counted: dict[str, Any]
) -> None:
    portal = make_client()
    home = portal.get(f"/company/{counted['home_token']}/reichweite")
    assert home.status_code == 200
    assert home.headers["cache-control"] == "no-store"
    assert counted["home_company"] in home.text
    assert counted["away_company"] not in home.text  # nothing of the other company
    section = _section(home.text, counted["home_company"])
    assert _totals(section) == {
        "views": "3", "plays": "2", "ends": "2", "completion": "100 %", "votes": "7", "clicks": "1",
    }  # fmt: skip
    days = _rows(section, "day")
    assert days[DAY1] == {
        "views": "2",
        "plays": "2",
        "ends": "1",
        "completion": "50 %",
        "clicks": "1",
    }
    assert days[DAY2] == {"views": "1", "plays": "0", "ends": "1", "completion": "–", "clicks": "0"}
    duel = _rows(section, "duel")[f"{counted['duel']}:{counted['home']}"]
    assert duel["votes"] == "7" and duel["clicks"] == "1"  # the click came from the duel
    away = portal.get(f"/company/{counted['away_token']}/reichweite")
    assert counted["home_company"] not in away.text
    section = _section(away.text, counted["away_company"])
    assert _totals(section) == {
        "views": "3", "plays": "1", "ends": "0", "completion": "0 %", "votes": "3", "clicks": "1",
    }  # fmt: skip
    assert _rows(section, "duel")[f"{counted['duel']}:{counted['away']}"]["clicks"] == "0"
    # The portal links to it.
    assert (
        f"/company/{counted['home_token']}/reichweite"
        in portal.get(f"/company/{counted['home_token']}").text
    )


def test_a_wrong_or_revoked_token_sees_nothing(
    make_client: ClientFactory, counted: dict[str, Any]
) -> None:
    portal = make_client()
    for path in ("/company/not-a-token/reichweite", "/company/not-a-token/reichweite.csv"):
        answer = portal.get(path)
        assert answer.status_code == 404 and counted["home_company"] not in answer.text
    old = counted["home_token"]
    counted["host"].post(
        f"/api/competitions/{counted['cid']}/companies/{counted['home_company']}/invite"
    )
    assert portal.get(f"/company/{old}/reichweite").status_code == 404


def _csv(answer: Any) -> list[dict[str, str]]:
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    reader = csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig")))
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    return list(reader)


def _page_matches_csv(section: str, rows: list[dict[str, str]], company: str) -> None:
    mine = [row for row in rows if row["company_id"] == company]
    total = next(row for row in mine if row["section"] == "total")
    totals = _totals(section)
    for name in ("views", "plays", "ends", "votes", "clicks"):
        assert totals[name] == total[name], name
    assert totals["completion"] == f"{total['completion_percent']} %"
    page_days = _rows(section, "day")
    csv_days = {row["day"]: row for row in mine if row["section"] == "day"}
    assert set(page_days) == set(csv_days) == {DAY1, DAY2}
    for day, cells in page_days.items():
        for name in ("views", "plays", "ends", "clicks"):
            assert cells[name] == csv_days[day][name], (day, name)
        percent = csv_days[day]["completion_percent"]
        assert cells["completion"] == (f"{percent} %" if percent else "–")
    page_duels = _rows(section, "duel")
    csv_duels = [row for row in mine if row["section"] == "duel"]
    assert len(page_duels) == len(csv_duels) == 1
    (cells,) = page_duels.values()
    for name in ("views", "plays", "ends", "votes", "clicks"):
        assert cells[name] == csv_duels[0][name]
    page_places = _rows(section, "place")
    csv_places = {row["place_id"]: row for row in mine if row["section"] == "place"}
    assert {k: v["clicks"] for k, v in page_places.items()} == {
        k: v["clicks"] for k, v in csv_places.items()
    }


def test_the_csv_has_the_page_s_numbers(
    make_client: ClientFactory, counted: dict[str, Any]
) -> None:
    portal = make_client()
    page = portal.get(f"/company/{counted['home_token']}/reichweite").text
    rows = _csv(portal.get(f"/company/{counted['home_token']}/reichweite.csv"))
    assert {row["company_id"] for row in rows} == {counted["home_company"]}
    _page_matches_csv(_section(page, counted["home_company"]), rows, counted["home_company"])


def test_the_chart_is_inline_svg_with_the_table_s_numbers(
    make_client: ClientFactory, counted: dict[str, Any]
) -> None:
    page = make_client().get(f"/company/{counted['home_token']}/reichweite").text
    section = _section(page, counted["home_company"])
    svg = section[section.index("<svg viewBox") : section.index("</svg>")]
    assert 'role="img"' in svg and "<title id=" in svg and "<desc id=" in svg
    bars = {
        (day, series): value
        for series, day, value in re.findall(
            r'data-series="(\w+)" data-day="([\d-]+)" data-value="(\d+)"', svg
        )
    }
    for day, cells in _rows(section, "day").items():
        for series in ("views", "plays", "ends", "clicks"):
            assert bars[(day, series)] == cells[series]
    assert "<script" not in page and "style=" not in page  # CSP: no inline script or style


def _console(make_client: ClientFactory) -> TestClient:
    console = make_client()
    log_in(console)
    return console


def test_hosts_see_every_company(make_client: ClientFactory, counted: dict[str, Any]) -> None:
    stranger = make_client()
    path = f"/host/c/{counted['cid']}/reichweite"
    assert stranger.get(path).status_code in (302, 303)  # the console needs a session
    assert stranger.get(f"{path}.csv").status_code in (302, 303)
    console = _console(make_client)
    page = console.get(path)
    assert page.status_code == 200
    rows = _csv(console.get(f"{path}.csv"))
    for company in (counted["home_company"], counted["away_company"]):
        _page_matches_csv(_section(page.text, company), rows, company)
    overview = page.text[page.text.index('data-table="companies"') :]
    assert f'data-company="{counted["home_company"]}"' in overview
    assert f'href="{path}"' in console.get(f"/host/c/{counted['cid']}").text
    assert console.get("/host/c/cNotThere/reichweite").status_code in (403, 404)


def test_figures_of_a_competition_without_counts(
    make_client: ClientFactory, host_headers: dict[str, str], redis_client: redis.Redis
) -> None:
    world = make_world(make_client, host_headers, redis_client)
    page = _console(make_client).get(f"/host/c/{world['cid']}/reichweite")
    assert page.status_code == 200
    assert "Noch keine Zahlen." in page.text and "<svg viewBox" not in page.text


def test_reach_day_is_not_the_utc_day() -> None:
    assert reach.today(1772494200.0) != "2026-03-02"
