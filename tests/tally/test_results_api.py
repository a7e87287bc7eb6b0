"""Result endpoints and the host's quarantine review over HTTP."""

from __future__ import annotations

import redis
from starlette.testclient import TestClient

from duels import keys
from duels.settings import Settings
from tests.tally.factories import add_votes, make_duel, official
from workers import tally

FLOOD = "f100d0000001"


def test_duel_shows_teams_and_official_provisional_and_quarantined_counts(
    client: TestClient, redis_client: redis.Redis, settings: Settings
) -> None:
    duel = make_duel(redis_client)
    add_votes(redis_client, duel.did, duel.teams, 10)
    tally.tally(redis_client, settings, duel.did, consumer="w")
    add_votes(redis_client, duel.did, duel.teams, 3, start=100)  # accepted, not yet tallied

    body = client.get(f"/api/duels/{duel.did}").json()

    assert body["id"] == duel.did
    assert body["status"] == "voting"
    assert body["is_provisional"] is True
    assert [t["id"] for t in body["teams"]] == [duel.home, duel.away]
    assert body["teams"][0]["name"] == "Teigtaschen"
    assert body["teams"][0]["company"] == "Bäckerei Korn"
    assert body["teams"][1]["company_id"] == duel.away_company
    assert body["counts"] == {duel.home: 5, duel.away: 5}
    assert body["quarantined"] == {duel.home: 0, duel.away: 0}
    assert body["provisional"] == {duel.home: 7, duel.away: 6}
    assert body["winner"] is None
    assert body["trade"]
    assert body["title"]


def test_hidden_results_stay_hidden_from_the_audience_but_not_the_host(
    client: TestClient,
    redis_client: redis.Redis,
    settings: Settings,
    host_headers: dict[str, str],
) -> None:
    duel = make_duel(redis_client, show_results=False)
    add_votes(redis_client, duel.did, duel.teams, 4)
    tally.tally(redis_client, settings, duel.did, consumer="w")

    audience = client.get(f"/api/duels/{duel.did}").json()
    host = client.get(f"/api/duels/{duel.did}", headers=host_headers).json()

    assert audience["counts"] is None and audience["provisional"] is None
    assert host["counts"] == {duel.home: 2, duel.away: 2}


def test_unknown_duel_and_competition_are_404(client: TestClient) -> None:
    duel = client.get("/api/duels/dnothere")
    board = client.get("/api/competitions/cnothere/leaderboard")

    assert duel.status_code == 404
    assert duel.json()["detail"]["code"] == "unknown_duel"
    assert board.status_code == 404
    assert board.json()["detail"]["code"] == "unknown_competition"


def test_leaderboard_ranks_teams_by_official_votes(
    client: TestClient, redis_client: redis.Redis, settings: Settings
) -> None:
    duel = make_duel(redis_client)
    add_votes(redis_client, duel.did, (duel.away, duel.away, duel.home), 9)
    tally.tally(redis_client, settings, duel.did, consumer="w")

    board = client.get(f"/api/competitions/{duel.cid}/leaderboard").json()

    assert [(t["team_id"], t["votes"], t["rank"]) for t in board["teams"]] == [
        (duel.away, 6, 1),
        (duel.home, 3, 2),
    ]
    assert board["teams"][0]["company"] == "Tischlerei Span"
    companies = {c["company_id"]: c for c in board["companies"]}
    assert companies[duel.away_company]["votes"] == 6
    assert companies[duel.home_company]["duels_won"] == 0
    assert [c["rank"] for c in board["companies"]] == [1, 2]


def test_equal_votes_share_a_rank(
    client: TestClient, redis_client: redis.Redis, settings: Settings
) -> None:
    duel = make_duel(redis_client)
    add_votes(redis_client, duel.did, duel.teams, 4)
    tally.tally(redis_client, settings, duel.did, consumer="w")

    board = client.get(f"/api/competitions/{duel.cid}/leaderboard").json()

    assert [t["rank"] for t in board["teams"]] == [1, 1]


def test_host_reviews_quarantine_include_and_exclude_are_idempotent_and_audited(
    client: TestClient,
    redis_client: redis.Redis,
    settings: Settings,
    host_headers: dict[str, str],
) -> None:
    duel = make_duel(redis_client)
    add_votes(redis_client, duel.did, duel.teams, 100)
    add_votes(redis_client, duel.did, (duel.away,), 300, network=FLOOD, start=1000)
    tally.tally(redis_client, settings, duel.did, consumer="w")
    before = official(redis_client, duel.did)
    held = before[f"q:{duel.away}"]
    assert held > 0

    listing = client.get(f"/api/duels/{duel.did}/quarantine", headers=host_headers).json()
    groups = {g["group"]: g for g in listing["groups"]}
    assert sum(g["votes"] for g in groups.values()) == held
    assert all(g["state"] == "pending" and g["kind"] == "network" for g in groups.values())
    assert all(g["subject"] == FLOOD for g in groups.values())
    name, group = max(groups.items(), key=lambda item: item[1]["votes"])
    moved = group["teams"][duel.away]

    url = f"/api/duels/{duel.did}/quarantine/{name}"
    first = client.post(f"{url}/include", json={"reason": "Venue Wi-Fi"}, headers=host_headers)
    second = client.post(f"{url}/include", json={"reason": "again"}, headers=host_headers)

    assert first.status_code == 200, first.text
    assert first.json()["group"]["state"] == "included"
    assert second.status_code == 200
    after_include = official(redis_client, duel.did)
    assert after_include[duel.away] == before[duel.away] + moved
    assert after_include[f"q:{duel.away}"] == held - moved
    assert second.json()["duel"]["counts"][duel.away] == after_include[duel.away]
    board = redis_client.zscore(keys.board_votes(duel.cid), duel.away)
    assert board == after_include[duel.away]

    excluded = client.post(f"{url}/exclude", json={"reason": "Bot"}, headers=host_headers)

    assert excluded.status_code == 200
    assert excluded.json()["group"]["state"] == "excluded"
    assert official(redis_client, duel.did) == before
    assert redis_client.zscore(keys.board_votes(duel.cid), duel.away) == before[duel.away]

    audit = [fields for _, fields in redis_client.xrange(keys.audit(duel.cid))]  # type: ignore[union-attr]
    reviews = [a for a in audit if a["what"].startswith("quarantine_")]
    assert [(a["what"], a["why"], a["who"]) for a in reviews] == [
        ("quarantine_include", "Venue Wi-Fi", "host token"),
        ("quarantine_include", "again", "host token"),
        ("quarantine_exclude", "Bot", "host token"),
    ]
    assert all(a["group"] == name and a["duel"] == duel.did and a["when"] for a in reviews)


def test_votes_of_an_included_group_keep_counting(
    client: TestClient,
    redis_client: redis.Redis,
    settings: Settings,
    host_headers: dict[str, str],
) -> None:
    duel = make_duel(redis_client)
    add_votes(redis_client, duel.did, (duel.away,), 120, network=FLOOD)
    tally.tally(redis_client, settings, duel.did, consumer="w")
    (group,) = tally.quarantine_groups(redis_client, duel.did)
    client.post(
        f"/api/duels/{duel.did}/quarantine/{group.group}/include",
        json={"reason": "Schulnetz"},
        headers=host_headers,
    )
    add_votes(redis_client, duel.did, (duel.away,), 30, network=FLOOD, start=500)

    tally.tally(redis_client, settings, duel.did, consumer="w")

    counts = official(redis_client, duel.did)
    assert counts[duel.away] + counts.get(f"q:{duel.away}", 0) == 150
    included = {g.group: g for g in tally.quarantine_groups(redis_client, duel.did)}[group.group]
    assert counts.get(f"q:{duel.away}", 0) == sum(
        g.votes for g in tally.quarantine_groups(redis_client, duel.did) if g.state != "included"
    )
    assert included.votes > group.votes


def test_review_needs_host_reason_and_a_known_group(
    client: TestClient,
    redis_client: redis.Redis,
    settings: Settings,
    host_headers: dict[str, str],
) -> None:
    duel = make_duel(redis_client)
    url = f"/api/duels/{duel.did}/quarantine"

    assert client.get(url).status_code == 401
    assert client.post(f"{url}/burst-n-abc/include", json={"reason": "x"}).status_code == 401
    missing = client.post(f"{url}/burst-n-abc/include", json={}, headers=host_headers)
    assert missing.status_code == 422
    unknown = client.post(f"{url}/burst-n-abc/include", json={"reason": "x"}, headers=host_headers)
    assert unknown.status_code == 404
    assert unknown.json()["detail"]["code"] == "unknown_group"
    bad_action = client.post(
        f"{url}/burst-n-abc/delete", json={"reason": "x"}, headers=host_headers
    )
    assert bad_action.status_code == 422
    gone = client.get("/api/duels/dnothere/quarantine", headers=host_headers)
    assert gone.status_code == 404
    assert gone.json()["detail"]["code"] == "unknown_duel"
