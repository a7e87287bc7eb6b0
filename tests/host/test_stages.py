"""Competitions in stages through the host API: groups then a knockout, Swiss rounds,
best-of-N duels; the standings, the qualifiers and their reasons, undo across stages."""

from __future__ import annotations

import csv
import io
import random
import subprocess
import sys
from collections import Counter
from itertools import combinations
from typing import Any

import pytest
import redis
from starlette.testclient import TestClient

from duels.settings import Settings
from tests.accounts import log_in
from tests.host.helpers import Host, record_official_counts
from tests.support import child_env


@pytest.fixture
def host(client: TestClient, host_headers: dict[str, str]) -> Host:
    return Host(client, host_headers)


def play_open_duels(host: Host, redis_client: redis.Redis, cid: str, rnd: random.Random) -> None:
    """Open, count and close every challenge of every open duel of the current round."""
    for duel in host.current_duels(cid):
        if duel["status"] == "decided":
            continue
        for leg in duel["legs"]:
            host.post(f"/api/duels/{leg['id']}/open")
            home, away = rnd.sample(range(5, 60), 2)  # never level
            counts = {duel["home"]["id"]: home, duel["away"]["id"]: away}
            record_official_counts(redis_client, leg["id"], counts)
            host.post(f"/api/duels/{leg['id']}/close")


def play_stage(
    host: Host, redis_client: redis.Redis, cid: str, rnd: random.Random
) -> dict[str, Any]:
    """Play rounds until the stage is over or the competition finished."""
    view = host.bracket(cid)
    while not view["finished"] and not (view.get("stage") or {}).get("over"):
        play_open_duels(host, redis_client, cid, rnd)
        view = host.post(f"/api/competitions/{cid}/advance", {"round": view["round"]})
    return view


def test_24_teams_play_six_groups_of_four_then_an_eight_team_knockout_with_third_place(
    host: Host, client: TestClient, redis_client: redis.Redis, settings: Settings
) -> None:
    rnd = random.Random(2026)
    cid, teams = host.competition(24, companies=12)
    view = host.post(
        f"/api/competitions/{cid}/bracket",
        {"format": "groups", "groups": 6, "advance": 1, "best_placed": 2, "third_place": True,
         "seed": 18},
        201,
    )  # fmt: skip
    assert [len(group["rows"]) for group in view["groups"]] == [4] * 6
    assert view["stage"]["kind"] == "groups" and view["stage"]["stages"] == ["groups", "knockout"]
    company = {team["id"]: team["company_id"] for team in teams}
    for group in view["groups"]:  # 12 companies of two teams: never two in one group
        assert len({company[row["team"]["id"]] for row in group["rows"]}) == 4
    assert len(host.current_duels(cid)) == 12  # round 1 of all six groups at once

    early = client.post(f"/api/competitions/{cid}/stage/finish", headers=host.headers)
    assert early.status_code == 409 and early.json()["detail"]["code"] == "stage_not_finished"
    view = play_stage(host, redis_client, cid, rnd)
    assert view["round"] == 3 and view["stage"]["over"] and view["stage"]["next"] == "knockout"
    again = client.post(f"/api/competitions/{cid}/advance", headers=host.headers)
    assert again.status_code == 409 and again.json()["detail"]["code"] == "stage_finished"

    pairs = Counter(
        frozenset((d["home"]["id"], d["away"]["id"])) for r in view["rounds"] for d in r["duels"]
    )
    for group in view["groups"]:
        members = [row["team"]["id"] for row in group["rows"]]
        assert all(pairs[frozenset(pair)] == 1 for pair in combinations(members, 2))
        assert [row["points"] for row in group["rows"]] == sorted(
            (row["points"] for row in group["rows"]), reverse=True
        )
        assert sum(row["played"] for row in group["rows"]) == 12
    qualification = view["qualification"]
    winners = {group["rows"][0]["team"]["id"] for group in view["groups"]}
    qualified = [entry["team"]["id"] for entry in qualification["qualified"]]
    assert len(qualified) == 8 and winners <= set(qualified)
    assert all(entry["reason"] for entry in qualification["qualified"])
    assert len(qualification["eliminated"]) == 16
    assert len(qualification["first_round"]) == 4

    view = host.post(f"/api/competitions/{cid}/stage/finish", {"round": 3})
    knockout = host.current_duels(cid)
    assert view["round"] == 4 and len(knockout) == 4
    shown = [(p["home"]["id"], p["away"]["id"]) for p in qualification["first_round"]]
    assert sorted((d["home"]["id"], d["away"]["id"]) for d in knockout) == sorted(shown)

    undone = host.post(f"/api/competitions/{cid}/undo", {"reason": "wrong tie-break"})
    assert undone["round"] == 3 and undone["stage"]["over"]
    assert not any(r["number"] == 4 for r in undone["rounds"])
    view = host.post(f"/api/competitions/{cid}/stage/finish")
    assert sorted((d["home"]["id"], d["away"]["id"]) for d in host.current_duels(cid)) == sorted(
        shown
    )

    view = play_stage(host, redis_client, cid, rnd)
    assert view["finished"] and view["round"] == 6
    final_round = host.current_duels(cid)
    assert sorted(d["stage"] for d in final_round) == ["main", "third_place"]
    semis = [d for r in view["rounds"] if r["number"] == 5 for d in r["duels"]]
    losers = {d["home"]["id"] if d["winner"] != d["home"]["id"] else d["away"]["id"] for d in semis}
    (third,) = [d for d in final_round if d["stage"] == "third_place"]
    assert {third["home"]["id"], third["away"]["id"]} == losers
    (final,) = [d for d in final_round if d["stage"] == "main"]
    assert view["champion"]["id"] == final["winner"]
    audit = [entry["what"] for entry in host.client.get(
        f"/api/competitions/{cid}/audit", headers=host.headers).json()]  # fmt: skip
    assert audit.count("finish_stage") == 2 and "undo" in audit

    printed = subprocess.run(
        [sys.executable, "-m", "web.cli", "standings", cid],
        env=child_env(settings), check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    names = {team["id"]: team["name"] for team in teams}
    for group in view["groups"]:
        table = printed.split(f"Group {group['name']}\n")[1].split("\n\n")[0].splitlines()[1:]
        assert [line.split()[1:3] for line in table] == [
            row["team"]["name"].split() for row in group["rows"]
        ]
    assert printed.count("  Q") == 8 and "Quarter-finals" in printed and "[third place]" in printed
    assert printed.rstrip().endswith(f"Champion: {names[view['champion']['id']]}")


def test_eleven_teams_play_four_swiss_rounds(host: Host, redis_client: redis.Redis) -> None:
    rnd = random.Random(11)
    cid, _ = host.competition(11)
    view = host.post(
        f"/api/competitions/{cid}/bracket", {"format": "swiss", "swiss_rounds": 4, "seed": 4}, 201
    )
    assert view["stage"]["kind"] == "swiss" and view["stage"]["rounds"] == 4
    view = play_stage(host, redis_client, cid, rnd)
    assert view["finished"] and view["round"] == 4
    played = [d for r in view["rounds"] for d in r["duels"]]
    byes = Counter(d["home"]["id"] for d in played if d["away"] is None)
    assert sum(byes.values()) == 4 and max(byes.values()) == 1
    pairs = Counter(frozenset((d["home"]["id"], d["away"]["id"])) for d in played if d["away"])
    assert max(pairs.values()) == 1  # 11 teams, 4 rounds: a rematch is always avoidable
    for number in range(1, 5):
        teams_in_round = [
            t["id"] for d in played if d["round"] == number for t in (d["home"], d["away"]) if t
        ]
        assert len(teams_in_round) == len(set(teams_in_round)) == 11
    standings = view["swiss"]
    assert [row["rank"] for row in standings] == list(range(1, 12))
    assert view["champion"]["id"] == standings[0]["team"]["id"]
    assert [row["points"] for row in standings] == sorted(
        (row["points"] for row in standings), reverse=True
    )
    wins = Counter(d["winner"] for d in played)
    assert {row["team"]["id"]: row["points"] for row in standings} == {
        row["team"]["id"]: wins[row["team"]["id"]] for row in standings
    }


def test_best_of_two_duels_give_each_team_its_own_trade_and_count_challenges(
    host: Host, redis_client: redis.Redis
) -> None:
    cid, _ = host.competition(2)
    view = host.post(f"/api/competitions/{cid}/bracket", {"seed": 1, "best_of": 2}, 201)
    (duel,) = host.current_duels(cid)
    first, second = duel["legs"]
    assert {first["trade"], second["trade"]} == {duel["home"]["trade"], duel["away"]["trade"]}
    home, away = duel["home"]["id"], duel["away"]["id"]
    for leg, counts in ((first, {home: 30, away: 10}), (second, {home: 12, away: 20})):
        host.post(f"/api/duels/{leg['id']}/open")
        record_official_counts(redis_client, leg["id"], counts)
    host.post(f"/api/duels/{first['id']}/close")
    refused = host.client.post(f"/api/competitions/{cid}/advance", headers=host.headers)
    assert refused.status_code == 409 and refused.json()["detail"]["code"] == "duel_still_open"
    host.post(f"/api/duels/{second['id']}/close")
    view = host.post(f"/api/competitions/{cid}/advance")
    (decided,) = view["rounds"][0]["duels"]
    assert decided["winner"] == home and decided["decided_by"] == "votes"  # 1:1, 42 to 30
    assert decided["scores"][0] == {"criterion": "challenges", "home": 1, "away": 1}
    assert {leg["status"] for leg in decided["legs"]} == {"decided"}
    log_in(host.client)
    export = host.client.get(f"/host/c/{cid}/results.csv")
    assert export.headers["content-disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [(row["leg"], row["home_votes"], row["away_votes"]) for row in rows] == [
        ("1", "30", "10"),
        ("2", "12", "20"),
    ]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"format": "groups", "groups": 5}, "invalid_groups"),
        ({"format": "groups", "groups": 2, "advance": 4}, "invalid_groups"),
        ({"format": "swiss", "swiss_rounds": 6}, "invalid_option"),
        ({"format": "swiss", "advance": 7}, "invalid_option"),
    ],
)
def test_stage_options_that_do_not_fit_are_refused_with_a_code(
    host: Host, body: dict[str, Any], code: str
) -> None:
    cid, _ = host.competition(6)
    response = host.client.post(f"/api/competitions/{cid}/bracket", json=body, headers=host.headers)
    assert response.status_code == 422 and response.json()["detail"]["code"] == code
    assert host.bracket(cid)["format"] is None  # nothing drawn


def test_a_group_round_opens_and_closes_at_once(
    make_client: Any, host_headers: dict[str, str], redis_client: redis.Redis
) -> None:
    host = Host(make_client(require_approved_videos=True), host_headers)
    cid, _ = host.competition(8)
    host.post(f"/api/competitions/{cid}/bracket", {"format": "groups", "groups": 2, "seed": 2}, 201)
    duels = host.current_duels(cid)
    assert len(duels) == 4
    refused = host.post(f"/api/competitions/{cid}/round/open")
    assert refused["duels"] == [] and len(refused["skipped"]) == 4
    assert {entry["code"] for entry in refused["skipped"]} == {"videos_not_approved"}

    lenient = Host(make_client(), host_headers)
    lenient.post(f"/api/duels/{duels[0]['id']}/open")
    opened = lenient.post(f"/api/competitions/{cid}/round/open")
    assert sorted(opened["duels"]) == sorted(d["id"] for d in duels[1:])
    assert {d["status"] for d in host.current_duels(cid)} == {"voting"}
    closed = lenient.post(f"/api/competitions/{cid}/round/close")
    assert sorted(closed["duels"]) == sorted(d["id"] for d in duels) and closed["round"] == 1
    assert {d["status"] for d in host.current_duels(cid)} == {"closed"}
    assert lenient.post(f"/api/competitions/{cid}/advance")["round"] == 2


def test_the_standings_export_lists_every_table_with_the_verdicts(
    host: Host, redis_client: redis.Redis
) -> None:
    cid, _ = host.competition(9)
    host.post(
        f"/api/competitions/{cid}/bracket",
        {"format": "groups", "groups": 3, "advance": 1, "best_placed": 1, "seed": 5},
        201,
    )
    view = play_stage(host, redis_client, cid, random.Random(5))
    log_in(host.client)
    export = host.client.get(f"/host/c/{cid}/standings.csv")
    assert export.headers["content-disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [(row["group"], row["team"]) for row in rows] == [
        (group["name"], row["team"]["name"]) for group in view["groups"] for row in group["rows"]
    ]
    seeded = sorted(int(row["seed"]) for row in rows if row["seed"])
    assert seeded == [1, 2, 3, 4]
    assert all(row["reason"] for row in rows)
    assert any(" in Gruppe " in row["reason"] for row in rows)


def test_the_public_feed_carries_the_tables_and_the_qualification(
    host: Host, redis_client: redis.Redis
) -> None:
    cid, _ = host.competition(8)
    host.post(
        f"/api/competitions/{cid}/bracket",
        {"format": "groups", "groups": 2, "seed": 3, "best_of": 2},
        201,
    )
    view = play_stage(host, redis_client, cid, random.Random(8))
    feed = host.client.get(f"/api/competitions/{cid}/feed").json()
    assert feed["stage"]["over"] and feed["stage"]["next"] == "knockout"
    assert [[row["team"]["id"] for row in group["rows"]] for group in feed["groups"]] == [
        [row["team"]["id"] for row in group["rows"]] for group in view["groups"]
    ]
    assert set(feed["groups"][0]["rows"][0]["team"]) == {"id", "name", "company_id", "company"}
    qualified = feed["qualification"]["qualified"]
    assert [entry["seed"] for entry in qualified] == [1, 2, 3, 4]
    assert all(entry["reason"] and "reason_code" not in entry for entry in qualified)
    duel = feed["rounds"][0]["duels"][0]
    assert [leg["number"] for leg in duel["challenges"]] == [1, 2]


def test_undo_returns_from_a_knockout_that_opened_with_byes(
    host: Host, redis_client: redis.Redis
) -> None:
    cid, _ = host.competition(9)
    host.post(f"/api/competitions/{cid}/bracket", {"format": "groups", "groups": 3, "seed": 1}, 201)
    view = play_stage(host, redis_client, cid, random.Random(3))
    knockout = host.post(f"/api/competitions/{cid}/stage/finish", {"round": view["round"]})
    first = [d for r in knockout["rounds"] if r["number"] == knockout["round"] for d in r["duels"]]
    assert sum(d["away"] is None for d in first) == 2  # six teams in a bracket of eight
    undone = host.post(f"/api/competitions/{cid}/undo", {"reason": "redraw"})
    assert undone["round"] == view["round"] and undone["stage"]["over"]
    redrawn = host.post(f"/api/competitions/{cid}/stage/finish")
    assert [d["match"] for r in redrawn["rounds"] for d in r["duels"]] == [
        d["match"] for r in knockout["rounds"] for d in r["duels"]
    ]
