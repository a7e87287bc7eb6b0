"""The host API of API.md: set-up, draw, voting windows, advance, undo."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import redis
from starlette.testclient import TestClient

from tests.host.helpers import Host, play_round, record_official_counts


def real_duels(duels: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [duel for duel in duels if duel["away"]]


@pytest.fixture
def host(client: TestClient, host_headers: dict[str, str]) -> Host:
    return Host(client, host_headers)


HOST_ROUTES = [
    ("POST", "/api/competitions"),
    ("POST", "/api/competitions/cX/companies"),
    ("POST", "/api/competitions/cX/teams"),
    ("POST", "/api/competitions/cX/bracket"),
    ("POST", "/api/duels/dX/open"),
    ("POST", "/api/duels/dX/close"),
    ("POST", "/api/competitions/cX/advance"),
    ("POST", "/api/competitions/cX/undo"),
    ("GET", "/api/competitions/cX/audit"),
]


@pytest.mark.parametrize(("method", "path"), HOST_ROUTES)
def test_host_routes_need_the_host_token(client: TestClient, method: str, path: str) -> None:
    missing = client.request(method, path, json={})
    assert missing.status_code == 401
    assert missing.json()["detail"]["code"] == "host_token_required"
    wrong = client.request(method, path, json={}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    assert wrong.json()["detail"]["code"] == "host_token_invalid"


def test_set_up_gives_companies_an_invite_url(host: Host) -> None:
    cid = host.post("/api/competitions", {"title": "Sommer-Duell"}, 201)["id"]
    company = host.post(f"/api/competitions/{cid}/companies", {"name": "Bäckerei"}, 201)
    assert company["invite_url"] == f"http://testserver/company/{company['invite_token']}"
    team = host.post(
        f"/api/competitions/{cid}/teams",
        {"company_id": company["id"], "name": "Teig", "trade": "Bäcker/in", "members": ["Lena"]},
        201,
    )
    assert team["company_id"] == company["id"]
    assert team["members"] == ["Lena"]


def test_bad_requests_get_stable_codes(host: Host) -> None:
    cid, teams = host.competition(teams=1)
    other, _ = host.competition(teams=2)
    foreign_company = host.post(f"/api/competitions/{other}/companies", {"name": "X"}, 201)

    def error(path: str, body: dict[str, Any], status: int) -> str:
        response = host.client.post(path, json=body, headers=host.headers)
        assert response.status_code == status, response.text
        return str(response.json()["detail"]["code"])

    assert error("/api/competitions/nope/companies", {"name": "A"}, 404) == "unknown_competition"
    team = {"company_id": foreign_company["id"], "name": "T", "trade": "Koch/Köchin"}
    assert error(f"/api/competitions/{cid}/teams", team, 404) == "unknown_company"
    member = {**team, "company_id": teams[0]["company_id"], "members": ["Lena Müller 2"]}
    assert error(f"/api/competitions/{cid}/teams", member, 422) == "invalid_member"
    assert error(f"/api/competitions/{cid}/bracket", {}, 422) == "too_few_teams"
    assert error(f"/api/competitions/{cid}/bracket", {"format": "ladder"}, 422) == "invalid"
    assert error(f"/api/competitions/{other}/advance", {}, 409) == "not_drawn"
    host.post(f"/api/competitions/{other}/bracket", {}, 201)
    assert error(f"/api/competitions/{other}/bracket", {}, 409) == "already_drawn"
    late = {"company_id": foreign_company["id"], "name": "Spät", "trade": "Koch/Köchin"}
    assert error(f"/api/competitions/{other}/teams", late, 409) == "bracket_drawn"
    assert error("/api/duels/nope/open", {}, 404) == "unknown_duel"
    duel = host.current_duels(other)[0]
    host.post(f"/api/duels/{duel['id']}/open")
    assert error(f"/api/competitions/{other}/advance", {}, 409) == "duel_still_open"
    assert error(f"/api/duels/{duel['id']}/open", {}, 409) == "cannot_open"


def test_twelve_teams_play_from_draw_to_champion_with_byes_and_a_walkover(
    host: Host, redis_client: redis.Redis
) -> None:
    cid, teams = host.competition(teams=12, companies=6)
    drawn = host.post(f"/api/competitions/{cid}/bracket", {"seed": 7}, 201)
    assert drawn["seed"] == 7
    first_round = drawn["rounds"][0]["duels"]
    byes = [d for d in first_round if d["away"] is None]
    assert len(first_round) == 8
    assert len(byes) == 4  # 16-slot bracket, the top four seeds rest
    assert all(d["decided_by"] == "bye" and d["status"] == "decided" for d in byes)
    assert not any(
        d["home"]["company_id"] == (d["away"] or {}).get("company_id") for d in first_round
    )

    withdrawn = real_duels(first_round)[0]
    host.post(
        f"/api/duels/{withdrawn['id']}/walkover",
        {"winner": withdrawn["home"]["id"], "reason": "Gegner hat kein Video eingereicht"},
    )
    play_round(host, redis_client, cid)
    advances = 0
    while not host.bracket(cid)["finished"]:
        view = host.post(f"/api/competitions/{cid}/advance", {"round": advances + 1})
        advances += 1
        if view["finished"]:
            break
        play_round(host, redis_client, cid, pick_home=advances % 2 == 0)

    final = host.bracket(cid)
    assert advances == 4  # rounds of 8, 4, 2 and 1 duels in a 16-slot bracket
    assert final["round"] == 4
    assert final["champion"]["id"] in {t["id"] for t in teams}
    decided = [d for r in final["rounds"] for d in r["duels"]]
    assert sum(d["decided_by"] == "walkover" for d in decided) == 1
    assert {d["decided_by"] for d in decided} <= {"bye", "votes", "walkover"}
    assert len(decided) == 8 + 4 + 2 + 1
    audit = host.client.get(f"/api/competitions/{cid}/audit", headers=host.headers).json()
    assert [e["what"] for e in audit].count("advance") == 4
    walkover_entry = next(e for e in audit if e["what"] == "walkover")
    assert walkover_entry["why"] == "Gegner hat kein Video eingereicht"
    wins = redis_client.zrange(f"mm:c:{{c:{cid}}}:board:wins", 0, -1, withscores=True)
    assert sum(score for _, score in wins) == 8 + 4 + 2 + 1 - 4  # byes are no wins


def test_six_team_round_robin_plays_every_pair_once(host: Host, redis_client: redis.Redis) -> None:
    cid, _teams = host.competition(teams=6)
    host.post(f"/api/competitions/{cid}/bracket", {"format": "round_robin", "seed": 3}, 201)
    rounds = 1
    play_round(host, redis_client, cid)
    while not host.bracket(cid)["finished"]:
        host.post(f"/api/competitions/{cid}/advance")
        if host.bracket(cid)["finished"]:
            break
        rounds += 1
        play_round(host, redis_client, cid)
    view = host.bracket(cid)
    duels = [d for r in view["rounds"] for d in r["duels"] if d["away"]]
    pairs = {frozenset((d["home"]["id"], d["away"]["id"])) for d in duels}
    assert rounds == 5
    assert len(duels) == len(pairs) == 6 * 5 // 2
    assert view["champion"]["id"] == view["standings"][0]["team"]["id"]
    assert sum(s["wins"] for s in view["standings"]) == 15


def test_eight_team_double_elimination_reaches_a_champion(
    host: Host, redis_client: redis.Redis
) -> None:
    cid, _teams = host.competition(teams=8)
    host.post(f"/api/competitions/{cid}/bracket", {"format": "double_elimination", "seed": 5}, 201)
    play_round(host, redis_client, cid)
    for _ in range(20):
        host.post(f"/api/competitions/{cid}/advance")
        if host.bracket(cid)["finished"]:
            break
        play_round(host, redis_client, cid)
    view = host.bracket(cid)
    assert view["finished"]
    losses: dict[str, int] = {}
    for duel in (d for r in view["rounds"] for d in r["duels"] if d["away"]):
        loser = duel["away"]["id"] if duel["winner"] == duel["home"]["id"] else duel["home"]["id"]
        losses[loser] = losses.get(loser, 0) + 1
    champion = view["champion"]["id"]
    assert losses.get(champion, 0) <= 1
    assert all(count == 2 for team, count in losses.items() if team != champion)
    assert len(set(losses) - {champion}) == 7  # everybody else is out after two losses


def test_votes_decide_unless_tied_then_jury(host: Host, redis_client: redis.Redis) -> None:
    cid, _ = host.competition(teams=2)
    duel = host.post(f"/api/competitions/{cid}/bracket", {"seed": 1}, 201)["rounds"][0]["duels"][0]
    host.post(f"/api/duels/{duel['id']}/open")
    record_official_counts(redis_client, duel["id"], {duel["home"]["id"]: 5, duel["away"]["id"]: 5})
    host.post(f"/api/duels/{duel['id']}/close")
    host.post(f"/api/duels/{duel['id']}/jury", {"home": 1, "away": 4})
    view = host.post(f"/api/competitions/{cid}/advance")
    decided = view["rounds"][0]["duels"][0]
    assert decided["winner"] == duel["away"]["id"]
    assert decided["decided_by"] == "jury"
    assert view["champion"]["id"] == duel["away"]["id"]


def test_weighted_mix_of_audience_share_and_jury(host: Host, redis_client: redis.Redis) -> None:
    cid, _ = host.competition(teams=2, audience_weight=0.5)
    duel = host.post(f"/api/competitions/{cid}/bracket", {"seed": 1}, 201)["rounds"][0]["duels"][0]
    home, away = duel["home"]["id"], duel["away"]["id"]
    host.post(f"/api/duels/{duel['id']}/open")
    record_official_counts(redis_client, duel["id"], {home: 60, away: 40})  # 0.6 / 0.4
    host.post(f"/api/duels/{duel['id']}/close")
    host.post(f"/api/duels/{duel['id']}/jury", {"home": 2, "away": 8})  # 0.2 / 0.8
    decided = host.post(f"/api/competitions/{cid}/advance")["rounds"][0]["duels"][0]
    assert decided["decided_by"] == "weighted"
    assert decided["winner"] == away  # 0.5*0.4 + 0.5*0.8 = 0.6 > 0.4


def test_two_hosts_pressing_advance_at_once_make_one_advance(
    host: Host, redis_client: redis.Redis, client: TestClient
) -> None:
    cid, _ = host.competition(teams=8)
    host.post(f"/api/competitions/{cid}/bracket", {"seed": 11}, 201)
    play_round(host, redis_client, cid)
    barrier = threading.Barrier(4)
    statuses: list[int] = []

    def press() -> None:
        barrier.wait()
        response = client.post(f"/api/competitions/{cid}/advance", headers=host.headers)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=press) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 409, 409, 409]
    view = host.bracket(cid)
    assert view["round"] == 2
    assert len(view["rounds"]) == 2
    assert len(view["rounds"][1]["duels"]) == 2


def test_undo_restores_the_previous_round_exactly(host: Host, redis_client: redis.Redis) -> None:
    cid, _ = host.competition(teams=4)
    host.post(f"/api/competitions/{cid}/bracket", {"seed": 2}, 201)
    play_round(host, redis_client, cid)
    before = host.bracket(cid)
    host.post(f"/api/competitions/{cid}/advance")
    assert host.bracket(cid)["round"] == 2
    response = host.client.post(f"/api/competitions/{cid}/undo", json={}, headers=host.headers)
    assert response.json()["detail"]["code"] == "reason_required"
    after = host.post(f"/api/competitions/{cid}/undo", {"reason": "falsch gezählt"})
    closed_again = [{**d, "status": "closed"} for d in before["rounds"][0]["duels"]]
    assert after["rounds"] == [{"number": 1, "duels": closed_again}]
    again = host.post(f"/api/competitions/{cid}/advance")
    assert again["round"] == 2
    assert len(host.current_duels(cid)) == 1


def test_override_needs_a_reason_and_a_team_of_the_duel(host: Host) -> None:
    cid, _teams = host.competition(teams=2)
    duel = host.post(f"/api/competitions/{cid}/bracket", {"seed": 1}, 201)["rounds"][0]["duels"][0]
    path = f"/api/duels/{duel['id']}/override"
    no_reason = host.client.post(path, json={"winner": duel["home"]["id"], "reason": ""},
                                 headers=host.headers)  # fmt: skip
    assert no_reason.status_code == 422
    stranger = host.client.post(
        path, json={"winner": "t-nobody", "reason": "x"}, headers=host.headers
    )
    assert stranger.json()["detail"]["code"] == "team_not_in_duel"
    decided = host.post(path, {"winner": duel["away"]["id"], "reason": "Regelverstoß"})
    assert decided["winner"] == duel["away"]["id"]
    assert decided["decided_by"] == "override"
