"""Past one machine, for real: two web servers of two uvicorn workers each and three RQ
workers against the same store (a Redis Cluster in the cluster pass) under a crowd.

Every vote answered 202 is counted officially exactly once; every repeat is refused."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest
import redis

from duels import keys
from duels.settings import Settings
from tests.cluster.helpers import CROWD, cluster_only
from tests.live.sse import open_stream
from tests.support import Process, start_web, start_worker, wait_for
from tests.tally.factories import DuelFixture, make_duel, official, provisional
from tests.voting.factories import voter_cookie
from workers import tally

pytestmark = [pytest.mark.slow, cluster_only]

VOTERS = 3000
REPEATS = 300  # voters who tap twice
CONNECTIONS = 120


async def _crowd(
    servers: list[str], ballots: list[tuple[str, str, str]]
) -> list[tuple[str, str, int]]:
    """POST every ballot (duel, team, cookie) over CONNECTIONS concurrent connections,
    alternating between the web servers; returns (duel, team, status)."""
    clients = [
        httpx.AsyncClient(
            base_url=url, timeout=30, limits=httpx.Limits(max_connections=CONNECTIONS // 2)
        )
        for url in servers
    ]
    gate = asyncio.Semaphore(CONNECTIONS)

    async def one(number: int, did: str, team: str, cookie: str) -> tuple[str, str, int]:
        async with gate:
            response = await clients[number % len(clients)].post(
                f"/api/duels/{did}/votes",
                json={"team_id": team},
                headers={"Cookie": f"mm_voter={cookie}"},
            )
            return did, team, response.status_code

    try:
        return list(await asyncio.gather(*(one(n, *ballot) for n, ballot in enumerate(ballots))))
    finally:
        for client in clients:
            await client.aclose()


async def _watch_then_vote(
    servers: list[str], cid: str, ballots: list[tuple[str, str, str]]
) -> tuple[list[tuple[str, str, int]], dict[str, object]]:
    """Hold a live-board stream on the first server while the crowd votes on both; the
    tally event reaches it through the queue Redis's pub/sub."""
    async with (
        httpx.AsyncClient(timeout=30) as http,
        open_stream(http, f"{servers[0]}/api/competitions/{cid}/events") as stream,
    ):
        await stream.next_of("hello")
        results = await _crowd(servers, ballots)
        event = await stream.next_of("tally", within=20)
    payload = event.json()
    assert isinstance(payload, dict)
    return results, payload


def test_a_crowd_on_two_web_servers_and_three_workers_is_counted_exactly(
    settings: Settings, redis_client: redis.Redis
) -> None:
    crowd = settings.model_copy(update=CROWD)
    duels: list[DuelFixture] = [make_duel(redis_client) for _ in range(3)]
    secret = settings.secret_key_value()
    cookies = [voter_cookie(secret) for _ in range(VOTERS)]
    ballots = []
    for number, cookie in enumerate(cookies):
        duel = duels[number % len(duels)]
        ballots.append((duel.did, duel.teams[number % 7 < 3], cookie))
    ballots += [ballots[n * 7] for n in range(REPEATS)]  # the same voter, same duel, again

    webs: list[Process] = []
    workers: list[Process] = []
    try:
        webs = [start_web(crowd, workers=2) for _ in range(2)]
        workers = [start_worker(crowd) for _ in range(3)]
        results, event = asyncio.run(
            _watch_then_vote([web.url for web in webs], duels[0].cid, ballots)
        )

        statuses = Counter(status for _, _, status in results)
        assert statuses == {202: VOTERS, 409: REPEATS}
        accepted = Counter((did, team) for did, team, status in results if status == 202)
        assert event["duel"] == duels[0].did

        def all_counted() -> bool:
            return all(
                official(redis_client, duel.did)
                == {team: accepted[(duel.did, team)] for team in duel.teams}
                and not tally.has_uncounted(redis_client, duel.did)
                for duel in duels
            )

        wait_for(all_counted, timeout=90, interval=0.25)
    finally:
        for process in [*workers, *webs]:
            process.stop()

    for duel in duels:
        expected = {team: accepted[(duel.did, team)] for team in duel.teams}
        assert official(redis_client, duel.did) == expected  # no double counting
        assert provisional(redis_client, duel.did) == expected  # nothing lost on the way
        assert redis_client.xlen(keys.votes(duel.did)) == sum(expected.values())
        assert redis_client.scard(keys.voters(duel.did)) == sum(expected.values())
    assert sum(accepted.values()) == VOTERS
