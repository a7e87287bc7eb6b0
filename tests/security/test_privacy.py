"""``machmal purge``: per-vote personal traces go, totals, results and the audit log stay."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import orjson
import pytest
import redis
from starlette.testclient import TestClient

from duels import backup, errors, keys, privacy, store, tournament, views
from duels.settings import Settings
from tests.conftest import ClientFactory
from tests.security.conftest import database
from tests.support import child_env
from voting import tokens
from voting.tokens import VOTER_COOKIE, VoteSecrets, new_voter_id, solve
from web.routes.results import leaderboard
from workers import tally

# Votes from three networks; the first casts most of them, so the fraud rules (made
# strict below) quarantine part of its votes and quarantine groups name its network.
NETWORKS = {"203.0.113.10": 6, "198.51.100.20": 2, "192.0.2.30": 2}
AGENTS = ("Mozilla/5.0 (iPhone; Purge-Test)", "Mozilla/5.0 (Android; Purge-Test)")


@dataclass
class Played:
    cid: str
    slug: str
    duel_ids: list[str]


def strict_fraud_rules(settings: Settings) -> Settings:
    return settings.model_copy(update={"fraud_votes_per_network": 4})


def cast_votes(client_from: ClientFactory, settings: Settings, did: str, teams: list[str]) -> int:
    """Real votes through the API, each with a fresh voter cookie and a solved
    proof-of-work challenge (so spent challenges are recorded too)."""
    secrets = VoteSecrets(settings.secret_key_value())
    cast = 0
    for ip, count in NETWORKS.items():
        http = client_from(ip, pow_difficulty=2)
        for number in range(count):
            http.cookies.set(VOTER_COOKIE, secrets.sign_voter(new_voter_id()))
            agent = {"User-Agent": AGENTS[number % 2]}
            challenge = http.get(f"/api/duels/{did}/challenge", headers=agent).json()
            proof = {"challenge": challenge["challenge"], "nonce": solve(challenge["challenge"], 2)}
            body = {"team_id": teams[number % 3 == 0], "pow": proof}
            response = http.post(f"/api/duels/{did}/votes", json=body, headers=agent)
            assert response.status_code == 202, response.text
            cast += 1
    return cast


def host_post(host: TestClient, headers: dict[str, str], path: str, body: Any = None) -> Any:
    response = host.post(path, json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


def play(
    client: TestClient,
    host_headers: dict[str, str],
    client_from: ClientFactory,
    settings: Settings,
    redis_client: redis.Redis,
    *,
    finish: bool = True,
) -> Played:
    """A four-team competition played to the end with real, tallied votes."""
    competition = host_post(client, host_headers, "/api/competitions", {"title": "Datenschutz"})
    cid = competition["id"]
    companies = [
        host_post(client, host_headers, f"/api/competitions/{cid}/companies", {"name": f"F{n}"})
        for n in range(2)
    ]
    for n in range(4):
        body = {"company_id": companies[n % 2]["id"], "name": f"Team {n}", "trade": "Maurer/in"}
        host_post(client, host_headers, f"/api/competitions/{cid}/teams", body)
    host_post(client, host_headers, f"/api/competitions/{cid}/bracket", {"seed": 3})
    duel_ids: list[str] = []
    rounds = 2 if finish else 1
    for _ in range(rounds):
        view = views.bracket_view(redis_client, cid)
        current = [d for r in view["rounds"] if r["number"] == view["round"] for d in r["duels"]]
        for duel in current:
            did = duel["id"]
            duel_ids.append(did)
            host_post(client, host_headers, f"/api/duels/{did}/open")
            cast_votes(client_from, settings, did, [duel["home"]["id"], duel["away"]["id"]])
            tally.tally(redis_client, strict_fraud_rules(settings), did)
            host_post(client, host_headers, f"/api/duels/{did}/close")
        if finish:
            host_post(client, host_headers, f"/api/competitions/{cid}/advance")
    return Played(cid, competition["slug"], duel_ids)


def personal_traces(client: redis.Redis, duel_ids: list[str]) -> set[str]:
    """Every voter id and keyed hash the votes left, read from where the ingest and the
    tally put them."""
    found: set[str] = set()
    for did in duel_ids:
        for _, fields in client.xrange(keys.votes(did)):  # type: ignore[union-attr]
            found.update(fields[name] for name in ("v", "n", "u", "ip"))
        found.update(str(m) for m in client.smembers(keys.voters(did)))  # type: ignore[union-attr]
        for key in client.scan_iter(match=keys.rate_pattern(did)):
            found.add(str(key).rpartition(":")[2])
        found.update(str(m) for m in client.zrange(keys.pow_used(did), 0, -1))
        for group in tally.quarantine_groups(client, did):
            found.add(group.subject)
        for key in (keys.evidence_groups(did), keys.evidence_flags(did)):
            for name in client.hkeys(key):  # type: ignore[union-attr]
                found.add(str(name).partition(":")[2].partition("/")[0])
        found.update(str(v) for v in client.hkeys(keys.present(did)))  # type: ignore[union-attr]
        found.update(str(s) for s in client.smembers(keys.subjects(did)))  # type: ignore[union-attr]
    return found


def results(client: redis.Redis, cid: str) -> dict[str, Any]:
    """What the competition's outcome is made of (the quarantine groups without their
    subjects, which purge renames)."""
    duel_ids = sorted(str(d) for d in client.hvals(keys.duel_index(cid)))
    return {
        "bracket": views.bracket_view(client, cid),
        "results": views.results_table(client, cid),
        "leaderboard": leaderboard(client, cid),
        "official": {did: client.hgetall(keys.official(did)) for did in duel_ids},
        "provisional": {did: client.hgetall(keys.provisional(did)) for did in duel_ids},
        "quarantine": {
            did: sorted(
                (g.reason, g.kind, g.state, tuple(sorted(g.teams.items())))
                for g in tally.quarantine_groups(client, did)
            )
            for did in duel_ids
        },
        "board": {
            "votes": client.zrange(keys.board_votes(cid), 0, -1, withscores=True),
            "wins": client.zrange(keys.board_wins(cid), 0, -1, withscores=True),
        },
    }


@pytest.fixture
def played(
    client: TestClient,
    host_headers: dict[str, str],
    client_from: ClientFactory,
    settings: Settings,
    redis_client: redis.Redis,
) -> Played:
    return play(client, host_headers, client_from, settings, redis_client)


def test_purge_removes_every_personal_trace_and_keeps_the_outcome(
    played: Played, redis_client: redis.Redis
) -> None:
    traces = personal_traces(redis_client, played.duel_ids)
    assert len(traces) > 30, "the votes left voter ids and hashes to find"
    assert any(tally.quarantine_groups(redis_client, did) for did in played.duel_ids), (
        "some votes were quarantined, so groups name a network"
    )
    before = results(redis_client, played.cid)
    audit_before = store.audit_log(redis_client, played.cid)

    report = privacy.purge(redis_client, played.cid)

    assert report.voters == sum(NETWORKS.values()) * len(played.duel_ids)
    assert report.votes_trimmed == report.voters and report.votes_kept == 0
    assert report.quarantine_groups_renamed > 0 and report.keys_removed > 0
    everything = orjson.dumps(database(redis_client, skip_prefixes=(), lasting_only=False)).decode()
    leaked = sorted(trace for trace in traces if trace in everything)
    assert leaked == [], "personal traces left after purge"
    assert results(redis_client, played.cid) == before
    audit_after = store.audit_log(redis_client, played.cid)
    assert audit_after[:-1] == audit_before
    assert audit_after[-1]["what"] == "purge" and audit_after[-1]["voters"] == str(report.voters)
    # Nothing looks uncounted afterwards (the trimmed stream keeps its consumer group).
    for did in played.duel_ids:
        assert not tally.has_uncounted(redis_client, did)
        assert redis_client.xlen(keys.votes(did)) == 0


def test_purge_twice_changes_nothing_the_second_time(
    played: Played, redis_client: redis.Redis
) -> None:
    privacy.purge(redis_client, played.cid)
    once = database(redis_client)
    again = privacy.purge(redis_client, played.cid)
    assert not again.removed_anything
    assert database(redis_client) == once


def test_purge_refuses_a_running_competition_and_changes_nothing(
    client: TestClient,
    host_headers: dict[str, str],
    client_from: ClientFactory,
    settings: Settings,
    redis_client: redis.Redis,
) -> None:
    running = play(client, host_headers, client_from, settings, redis_client, finish=False)
    before = database(redis_client)
    with pytest.raises(errors.Conflict) as refused:
        privacy.purge(redis_client, running.cid)
    assert refused.value.code == "competition_not_finished"
    assert database(redis_client) == before


def test_forced_purge_keeps_votes_not_yet_counted(
    client: TestClient,
    host_headers: dict[str, str],
    client_from: ClientFactory,
    settings: Settings,
    redis_client: redis.Redis,
) -> None:
    cid = host_post(client, host_headers, "/api/competitions", {"title": "Läuft"})["id"]
    company = host_post(client, host_headers, f"/api/competitions/{cid}/companies", {"name": "F"})
    for n in range(2):
        body = {"company_id": company["id"], "name": f"Team {n}", "trade": "Maurer/in"}
        host_post(client, host_headers, f"/api/competitions/{cid}/teams", body)
    (duel,) = host_post(client, host_headers, f"/api/competitions/{cid}/bracket", {})["rounds"][0][
        "duels"
    ]
    did, teams = duel["id"], [duel["home"]["id"], duel["away"]["id"]]
    host_post(client, host_headers, f"/api/duels/{did}/open")
    counted = cast_votes(client_from, settings, did, teams)
    tally.tally(redis_client, settings, did)
    uncounted = cast_votes(client_from, settings, did, teams)

    report = privacy.purge(redis_client, cid, force=True)

    assert (report.votes_trimmed, report.votes_kept) == (counted, uncounted)
    tally.tally(redis_client, settings, did)
    official = {k: int(v) for k, v in redis_client.hgetall(keys.official(did)).items()}  # type: ignore[union-attr]
    assert sum(official.values()) == counted + uncounted, "no vote was lost"
    assert not tally.has_uncounted(redis_client, did)


def test_purged_competition_still_round_trips_through_export_and_import(
    played: Played, redis_client: redis.Redis
) -> None:
    privacy.purge(redis_client, played.cid)
    outcome = results(redis_client, played.cid)
    first = backup.export_competition(redis_client, played.cid)
    redis_client.flushall()
    assert backup.import_competition(redis_client, orjson.loads(orjson.dumps(first))) == played.cid
    second = backup.export_competition(redis_client, played.cid)
    for item in (*first["keys"].values(), *second["keys"].values()):
        if item["ttl_ms"]:
            item["ttl_ms"] = "set"
    assert second == first
    assert results(redis_client, played.cid) == outcome
    for did in played.duel_ids:
        assert not tally.has_uncounted(redis_client, did)
        assert not tournament._untallied(redis_client, did)


def test_cli_purge_by_slug_and_refusal(
    played: Played, settings: Settings, redis_client: redis.Redis
) -> None:
    env = child_env(settings)
    done = subprocess.run(
        [sys.executable, "-m", "web.cli", "purge", played.slug],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert orjson.loads(done.stdout)["voters"] == sum(NETWORKS.values()) * len(played.duel_ids)
    assert not any(redis_client.exists(keys.voters(did)) for did in played.duel_ids)

    fresh = store.create_competition(redis_client, "Noch nicht gespielt")
    refused = subprocess.run(
        [sys.executable, "-m", "web.cli", "purge", fresh.id],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert refused.returncode == 1
    assert "competition_not_finished" in refused.stderr


def test_the_hash_length_matches_the_ingest() -> None:
    assert privacy.HASH_CHARS == tokens.HASH_CHARS
