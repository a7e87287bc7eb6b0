"""A duel opened with ``show_results`` off keeps its counts from the public until it
is decided (the rule of ``GET /api/duels/{did}``), on every public surface; hosts
still see them.

Real votes through the vote API, tallied by the real tally function; then every
public surface is searched for the hidden duel's counts (or their sum).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import redis
from starlette.testclient import TestClient

from duels import keys, store
from duels.settings import Settings
from tests.accounts import log_in
from tests.live.sse import EventReader, open_stream
from tests.support import Process
from tests.voting.factories import voter_cookie
from tests.voting.helpers import SECRET
from web.app import create_app
from workers import tally

HOME_VOTES, AWAY_VOTES = 11, 4  # the hidden duel's votes: numbers to look for


@dataclass
class Cup:
    cid: str
    hidden: dict[str, Any]  # a duel of the bracket view
    shown: dict[str, Any]
    voters: list[str]  # cookies that voted in the hidden duel

    def hidden_teams(self) -> tuple[str, str]:
        return self.hidden["home"]["id"], self.hidden["away"]["id"]

    def hidden_companies(self) -> set[str]:
        return {self.hidden["home"]["company_id"], self.hidden["away"]["company_id"]}


def cast_dict(value: object) -> dict[str, Any]:
    assert isinstance(value, dict)
    return value


def post(http: Any, path: str, headers: dict[str, str], body: object = None) -> Any:
    response = http.post(path, json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


def make_cup(http: Any, host_headers: dict[str, str]) -> Cup:
    """Four companies with one team each, drawn; duel 1 opens hidden, duel 2 shown."""
    cid = post(http, "/api/competitions", host_headers, {"title": "Geheimcup"})["id"]
    for n in range(4):
        company = post(http, f"/api/competitions/{cid}/companies", host_headers, {"name": f"F{n}"})
        team = {"company_id": company["id"], "name": f"Team {n}", "trade": "Koch/Köchin"}
        post(http, f"/api/competitions/{cid}/teams", host_headers, team)
    view = post(http, f"/api/competitions/{cid}/bracket", host_headers, {"seed": 7})
    hidden, shown = view["rounds"][0]["duels"]
    post(http, f"/api/duels/{hidden['id']}/open", host_headers, {"show_results": False})
    post(http, f"/api/duels/{shown['id']}/open", host_headers, {})
    return Cup(cid, hidden, shown, [])


def cast_votes(http: Any, did: str, team: str, count: int) -> list[str]:
    cookies = []
    for _ in range(count):
        cookie = voter_cookie(SECRET)
        response = http.post(
            f"/api/duels/{did}/votes",
            json={"team_id": team},
            headers={"Cookie": f"mm_voter={cookie}"},
        )
        assert response.status_code == 202, response.text
        cookies.append(cookie)
    return cookies


def vote_in_both(http: Any, cup: Cup) -> None:
    home, away = cup.hidden_teams()
    cup.voters += cast_votes(http, cup.hidden["id"], home, HOME_VOTES)
    cup.voters += cast_votes(http, cup.hidden["id"], away, AWAY_VOTES)
    cast_votes(http, cup.shown["id"], cup.shown["home"]["id"], 2)
    cast_votes(http, cup.shown["id"], cup.shown["away"]["id"], 1)


def tally_all(redis_client: redis.Redis, settings: Settings, cup: Cup) -> None:
    for did in (cup.hidden["id"], cup.shown["id"]):
        tally.tally(redis_client, settings, did, consumer="t")


# What the public sees of the hidden duel ----------------------------------------------

LIVE_PAGES = ("/live/{cid}", "/live/{cid}?mode=projector", "/live/{cid}/board",
              "/live/{cid}/board?mode=projector")  # fmt: skip


SECRET_NUMBERS = {HOME_VOTES, AWAY_VOTES, HOME_VOTES + AWAY_VOTES}


def card(html: str, did: str) -> str:
    found = re.search(rf'<article [^>]*data-duel="{did}".*?</article>', html, re.S)
    assert found, f"no card of {did}"
    return found.group(0)


def numbers(value: object) -> set[int]:
    """Every number in a JSON value (ids and names are text, not numbers)."""
    if isinstance(value, bool) or not isinstance(value, int | dict | list | tuple):
        return set()
    if isinstance(value, int):
        return {value}
    items = value.values() if isinstance(value, dict) else value
    return set().union(*(numbers(item) for item in items))


def in_text(*texts: str) -> list[int]:
    return [int(found) for text in texts for found in re.findall(r"\d+", text)]


def revealed(http: Any, cup: Cup) -> dict[str, set[int]]:
    """Per public surface, which of the hidden duel's counts (or their sum) it shows."""
    did, cid = cup.hidden["id"], cup.cid
    teams, companies = set(cup.hidden_teams()), cup.hidden_companies()
    duel = http.get(f"/api/duels/{did}").json()
    board = http.get(f"/api/competitions/{cid}/leaderboard").json()
    bracket = http.get(f"/api/competitions/{cid}/bracket").json()
    seen: dict[str, object] = {
        "GET /api/duels/{did}": [duel[name] for name in ("counts", "quarantined", "provisional")],
        "leaderboard teams": [t["votes"] for t in board["teams"] if t["team_id"] in teams],
        "leaderboard companies": [
            c["votes"] for c in board["companies"] if c["company_id"] in companies
        ],
        "bracket": [d for r in bracket["rounds"] for d in r["duels"] if d["id"] == did],
    }
    feed = http.get(f"/api/competitions/{cid}/feed").json()
    seen["feed duel"] = [d for r in feed["rounds"] for d in r["duels"] if d["id"] == did]
    seen["feed leaderboard"] = [
        c["votes"] for c in feed["leaderboard"] if c["company_id"] in companies
    ]
    for page in LIVE_PAGES:
        html = http.get(page.format(cid=cid)).text
        shown = card(html, did)
        seen[page] = in_text(
            *re.findall(r'data-(?:home|away)-votes="(\d+)"', shown),
            *re.findall(r'data-count="\w+">([^<]*)<', shown),
        )
        rows = re.findall(r'<tr data-company="([^"]+)" data-wins="\d+" data-votes="(\d+)"', html)
        seen[f"{page} ranking"] = in_text(
            *(votes for company, votes in rows if company in companies)
        )
    # A phone that voted: the counts shown, or sitting in hidden elements of the page.
    page = http.get(f"/vote/{did}", headers={"Cookie": f"mm_voter={cup.voters[0]}"}).text
    assert 'class="vote-result"' in page
    seen["vote page after voting"] = in_text(
        *re.findall(r'<progress (max="\d+" value="\d+")', page),
        *re.findall(r'<span class="vote-count"[^>]*>([^<]*)</span>', page),
    )
    return {surface: numbers(value) & SECRET_NUMBERS for surface, value in seen.items()}


def leaks(http: Any, cup: Cup) -> dict[str, set[int]]:
    return {surface: found for surface, found in revealed(http, cup).items() if found}


@pytest.fixture
def public(settings: Settings) -> Iterator[TestClient]:
    """The audience: no bearer token, no console session."""
    with TestClient(create_app(settings)) as audience:
        yield audience


def test_while_voting_no_public_surface_shows_the_hidden_counts(
    public: TestClient,
    client: TestClient,
    redis_client: redis.Redis,
    settings: Settings,
    host_headers: dict[str, str],
) -> None:
    cup = make_cup(client, host_headers)
    vote_in_both(public, cup)
    tally_all(redis_client, settings, cup)

    assert leaks(public, cup) == {}
    duel = public.get(f"/api/duels/{cup.hidden['id']}").json()
    assert (duel["counts"], duel["quarantined"], duel["provisional"]) == (None, None, None)

    # The duel that shows its results still does, on the board and in the ranking.
    board = public.get(f"/api/competitions/{cup.cid}/leaderboard").json()
    votes = {t["team_id"]: t["votes"] for t in board["teams"]}
    assert (votes[cup.shown["home"]["id"]], votes[cup.shown["away"]["id"]]) == (2, 1)
    live = card(public.get(f"/live/{cup.cid}").text, cup.shown["id"])
    assert 'data-home-votes="2" data-away-votes="1"' in live

    # Hosts see everything: bearer token and console session.
    home, away = cup.hidden_teams()
    host_duel = client.get(f"/api/duels/{cup.hidden['id']}", headers=host_headers).json()
    assert host_duel["counts"] == {home: HOME_VOTES, away: AWAY_VOTES}
    host_board = client.get(f"/api/competitions/{cup.cid}/leaderboard", headers=host_headers)
    host_votes = {t["team_id"]: t["votes"] for t in host_board.json()["teams"]}
    assert (host_votes[home], host_votes[away]) == (HOME_VOTES, AWAY_VOTES)
    with TestClient(create_app(settings)) as console:
        log_in(console)
        page = console.get(f"/host/c/{cup.cid}").text
        assert f"{HOME_VOTES} : {AWAY_VOTES}" in page
        session_duel = console.get(f"/api/duels/{cup.hidden['id']}").json()
        assert session_duel["counts"] == {home: HOME_VOTES, away: AWAY_VOTES}


def test_closed_but_undecided_stays_hidden_then_the_decision_shows_the_counts(
    public: TestClient,
    client: TestClient,
    redis_client: redis.Redis,
    settings: Settings,
    host_headers: dict[str, str],
) -> None:
    cup = make_cup(client, host_headers)
    vote_in_both(public, cup)
    for did in (cup.hidden["id"], cup.shown["id"]):
        post(client, f"/api/duels/{did}/close", host_headers)
    tally_all(redis_client, settings, cup)  # the sweep counts what came in before the close

    assert leaks(public, cup) == {}

    post(client, f"/api/competitions/{cup.cid}/advance", host_headers)
    shown = revealed(public, cup)
    home, away = cup.hidden_teams()
    assert public.get(f"/api/duels/{cup.hidden['id']}").json()["counts"] == {
        home: HOME_VOTES, away: AWAY_VOTES
    }  # fmt: skip
    surfaces = ("leaderboard teams", "leaderboard companies", "feed duel", "feed leaderboard")
    for surface in (*surfaces, *LIVE_PAGES):
        assert shown[surface] == {HOME_VOTES, AWAY_VOTES}, surface


def test_the_event_stream_carries_no_hidden_counts(
    web_server: Process,
    client: TestClient,
    redis_client: redis.Redis,
    settings: Settings,
    host_headers: dict[str, str],
) -> None:
    cup = make_cup(client, host_headers)
    did = cup.hidden["id"]
    url = f"{web_server.url}/api/competitions/{cup.cid}/events"

    async def tally_events(stream: EventReader, count: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        while len(found) < count:
            event = cast_dict((await stream.next_of("tally")).json())
            if event["duel"] == did:
                found.append(event)
        return found

    async def tallied(stream: EventReader) -> dict[str, Any]:
        await asyncio.to_thread(tally.tally, redis_client, settings, did, consumer="t")
        return (await tally_events(stream, 1))[0]

    async def scenario() -> None:
        async with httpx.AsyncClient(timeout=10) as http:
            async with open_stream(http, url) as stream:
                start = (await stream.next_of("hello")).id
                home, away = cup.hidden_teams()
                await asyncio.to_thread(cast_votes, client, did, home, 3)
                running = await tallied(stream)
                await asyncio.to_thread(cast_votes, client, did, away, 2)
                await asyncio.to_thread(post, client, f"/api/duels/{did}/close", host_headers)
                closed = await tallied(stream)
            # A phone that reconnects from before the votes gets the same events again.
            async with open_stream(http, url, last_event_id=start) as stream:
                replayed = await tally_events(stream, 2)
        for event in (running, closed, *replayed):
            assert event == {"type": "tally", "duel": did, "hidden": True}

    asyncio.run(scenario())
    # Nothing in the competition's event log holds them either.
    log: list[tuple[str, dict[str, str]]] = redis_client.xrange(keys.event_log(cup.cid))  # type: ignore[assignment]
    assert not [e["e"] for _, e in log if did in e["e"] and "counts" in e["e"]]
    assert store.get_duel(redis_client, did).status == "closed"
