"""The public JSON feed of a competition (#18): shape and content, hidden counts, ETag and
304, CORS, 404. Driven through the real host API, vote API and tally."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
import redis
from starlette.testclient import TestClient

from duels import branding
from duels.settings import Settings
from tests.host.helpers import Host, record_official_counts
from tests.voting.helpers import cookie_header
from workers import tally

FEED = "/api/competitions/{cid}/feed"


@dataclass
class Cup:
    cid: str
    open_duel: dict[str, Any]  # bracket-view duels
    decided: dict[str, Any]


def cast(client: TestClient, did: str, team: str, count: int) -> None:
    for _ in range(count):
        response = client.post(f"/api/duels/{did}/votes", json={"team_id": team},
                               headers=cookie_header())  # fmt: skip
        assert response.status_code == 202, response.text


@pytest.fixture
def cup(
    client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis,
    settings: Settings,
) -> Cup:  # fmt: skip
    """Four teams of four companies, drawn: duel 1 voting (3 : 1, tallied), duel 2 decided
    by the host (5 : 2)."""
    host = Host(client, host_headers)
    cid, _ = host.competition(teams=4)
    host.post(f"/api/competitions/{cid}/bracket", {"seed": 3}, 201)
    first, second = host.current_duels(cid)
    host.post(f"/api/duels/{first['id']}/open")
    cast(client, first["id"], first["home"]["id"], 3)
    cast(client, first["id"], first["away"]["id"], 1)
    tally.tally(redis_client, settings, first["id"], consumer="t")
    host.post(f"/api/duels/{second['id']}/open")
    host.post(f"/api/duels/{second['id']}/close")
    record_official_counts(
        redis_client, second["id"], {second["home"]["id"]: 5, second["away"]["id"]: 2}
    )
    winner = {"winner": second["home"]["id"], "reason": "Jury vor Ort"}
    host.post(f"/api/duels/{second['id']}/override", winner)
    return Cup(cid, first, second)


def feed_of(client: TestClient, cid: str) -> dict[str, Any]:
    response = client.get(FEED.format(cid=cid))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def numbers(value: object) -> set[int]:
    """Every number in a JSON value (ids and names are text)."""
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return set().union(*(numbers(item) for item in value))
    return {value} if isinstance(value, int) and not isinstance(value, bool) else set()


def duels_of(feed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {duel["id"]: duel for round_ in feed["rounds"] for duel in round_["duels"]}


def test_the_feed_has_the_competition_bracket_ranking_and_links(
    client: TestClient, cup: Cup, redis_client: redis.Redis
) -> None:
    feed = feed_of(client, cup.cid)
    assert set(feed) == {"competition", "brand", "rounds", "leaderboard", "links"}
    assert feed["competition"] == {
        "id": cup.cid, "title": "Testcup", "status": "running",
        "format": "single_elimination", "round": 1, "finished": False, "champion": None,
    }  # fmt: skip
    assert feed["brand"] is None  # nothing set yet

    duels = duels_of(feed)
    running, decided = duels[cup.open_duel["id"]], duels[cup.decided["id"]]
    home = cup.open_duel["home"]
    assert running["status"] == "voting"
    assert running["home"] == {
        "id": home["id"], "name": home["name"],
        "company_id": home["company_id"], "company": home["company"],
    }  # fmt: skip
    assert running["home"]["company"].startswith("Firma ")
    assert (running["counts"], running["share"]) == ({"home": 3, "away": 1},
                                                      {"home": 75, "away": 25})  # fmt: skip
    assert running["winner"] is None
    assert running["vote_url"] == f"http://testserver/vote/{cup.open_duel['id']}"

    assert decided["status"] == "decided"
    assert decided["winner"] == cup.decided["home"]["id"]
    assert decided["decided_by"] == "override"
    assert decided["counts"] == {"home": 5, "away": 2}
    assert decided["vote_url"] is None

    # The ranking: the decided duel's winner first (one duel won), the rest by votes.
    ranking = feed["leaderboard"]
    assert [row["position"] for row in ranking] == [1, 2, 3, 4]
    assert ranking[0]["company_id"] == cup.decided["home"]["company_id"]
    assert (ranking[0]["wins"], ranking[0]["votes"]) == (1, 5)
    assert {row["company_id"]: row["votes"] for row in ranking[1:]} == {
        cup.open_duel["home"]["company_id"]: 3,
        cup.decided["away"]["company_id"]: 2,
        cup.open_duel["away"]["company_id"]: 1,
    }
    assert feed["links"] == {
        "live": f"http://testserver/live/{cup.cid}",
        "projector": f"http://testserver/live/{cup.cid}?mode=projector",
        "events": f"http://testserver/api/competitions/{cup.cid}/events",
        "feed": f"http://testserver/api/competitions/{cup.cid}/feed",
    }
    # No jury scores, held-back votes or admission evidence in a duel.
    assert set(running) == {
        "id", "match", "stage", "round", "status", "trade", "title", "admission", "home",
        "away", "winner", "decided_by", "counts", "share", "vote_url", "challenges",
    }  # fmt: skip

    branding.update(redis_client, f"c:{cup.cid}", region="Ostwestfalen",
                    primary="#1d4ed8", accent="#b91c1c")  # fmt: skip
    brand = feed_of(client, cup.cid)["brand"]
    assert brand == {
        "name": "Testcup", "region": "Ostwestfalen", "primary": "#1d4ed8",
        "accent": "#b91c1c", "logo": None, "sponsors": [],
    }  # fmt: skip


def test_a_duel_that_hides_its_results_has_no_counts_in_the_feed(
    client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis,
    settings: Settings,
) -> None:  # fmt: skip
    host = Host(client, host_headers)
    cid, _ = host.competition(teams=2)
    host.post(f"/api/competitions/{cid}/bracket", {"seed": 1}, 201)
    (duel,) = host.current_duels(cid)
    host.post(f"/api/duels/{duel['id']}/open", {"show_results": False})
    cast(client, duel["id"], duel["home"]["id"], 6)
    tally.tally(redis_client, settings, duel["id"], consumer="t")

    # The audience and a caller with the host token get the same: the feed is public.
    for headers in ({}, host_headers):
        response = client.get(FEED.format(cid=cid), headers=headers)
        (shown,) = duels_of(response.json()).values()
        assert (shown["counts"], shown["share"]) == (None, None)
        assert [row["votes"] for row in response.json()["leaderboard"]] == [0, 0]
        assert 6 not in numbers(response.json())

    host.post(f"/api/duels/{duel['id']}/close")
    host.post(f"/api/competitions/{cid}/advance")
    (decided,) = duels_of(feed_of(client, cid)).values()
    assert decided["counts"] == {"home": 6, "away": 0}


def test_etag_round_trip_and_a_vote_changes_it(
    client: TestClient, cup: Cup, host_headers: dict[str, str]
) -> None:
    url = FEED.format(cid=cup.cid)
    first = client.get(url)
    etag = first.headers["etag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    assert first.headers["cache-control"] == "public, max-age=5"
    assert first.headers["content-type"] == "application/json"

    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["access-control-allow-origin"] == "*"

    # A vote in the running duel changes the counts, so the tag.
    cast(client, cup.open_duel["id"], cup.open_duel["away"]["id"], 1)
    after_vote = client.get(url, headers={"If-None-Match": etag})
    assert after_vote.status_code == 200
    assert duels_of(after_vote.json())[cup.open_duel["id"]]["counts"] == {"home": 3, "away": 2}
    voted_etag = after_vote.headers["etag"]
    assert voted_etag != etag

    # A status change does too.
    Host(client, host_headers).post(f"/api/duels/{cup.open_duel['id']}/close")
    closed = client.get(url, headers={"If-None-Match": voted_etag})
    assert closed.status_code == 200
    assert closed.headers["etag"] not in (etag, voted_etag)
    assert duels_of(closed.json())[cup.open_duel["id"]]["status"] == "closed"


def test_any_site_may_read_it_and_it_sets_no_cookie(client: TestClient, cup: Cup) -> None:
    response = client.get(
        FEED.format(cid=cup.cid),
        headers={"Origin": "https://azubi-region.example", "Accept-Language": "en"},
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    assert "etag" in response.headers["access-control-expose-headers"].lower()
    assert "set-cookie" not in response.headers
    # The language asked for changes nothing: the same body for everyone.
    assert response.headers["etag"] == client.get(FEED.format(cid=cup.cid)).headers["etag"]


def test_an_unknown_competition_is_404(client: TestClient) -> None:
    for cid in ("nope", "no such thing"):
        response = client.get(FEED.format(cid=cid))
        assert response.status_code == 404
        assert response.json()["detail"]["code"] == "unknown_competition"
        assert response.headers["access-control-allow-origin"] == "*"


def test_the_feed_is_documented(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"][FEED]["get"]
    assert operation["tags"] == ["audience"]
    assert operation["summary"] and operation["description"]
    example = operation["responses"]["200"]["content"]["application/json"]["example"]
    assert set(example) == {"competition", "brand", "rounds", "leaderboard", "links"}
    assert "404" in operation["responses"]
