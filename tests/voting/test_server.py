"""Against a REAL web server process: concurrency (no vote lost or doubled) and a Redis
outage (quick 503, then recovery)."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
import redis

from duels import keys
from duels.redis_server import EmbeddedRedis
from duels.settings import Settings
from tests.conftest import PRODUCT_TIMEOUT
from tests.support import Process, start_web
from tests.voting.factories import make_duel, voter_cookie
from tests.voting.helpers import SECRET

pytestmark = pytest.mark.slow


@pytest.fixture
def crowd_server(settings: Settings) -> Iterator[Process]:
    """A web server whose per-IP limits allow a whole test run from 127.0.0.1."""
    lifted = {
        "votes_per_ip_per_minute": 1_000_000,
        "votes_per_ip_ua_per_minute": 1_000_000,
        "pow_burst_new_voters_per_minute": 1_000_000,
        "redis_timeout": PRODUCT_TIMEOUT,  # "503 quickly" is measured on the product's budget
    }
    process = start_web(settings.model_copy(update=lifted))
    yield process
    process.stop()


async def _post_votes(url: str, did: str, ballots: list[tuple[str, str]]) -> list[int]:
    """All ballots at once. Spread over several clients, one connection per request:
    httpx's pool gets slow with many requests queued on one client."""
    per_client = 100
    clients = [
        httpx.AsyncClient(
            base_url=url,
            limits=httpx.Limits(max_connections=per_client, max_keepalive_connections=0),
            timeout=30,
        )
        for _ in range(0, len(ballots), per_client)
    ]

    async def one(client: httpx.AsyncClient, cookie: str, team: str) -> int:
        response = await client.post(
            f"/api/duels/{did}/votes",
            json={"team_id": team},
            headers={"Cookie": f"mm_voter={cookie}"},
        )
        return response.status_code

    try:
        return list(
            await asyncio.gather(
                *(
                    one(clients[n // per_client], cookie, team)
                    for n, (cookie, team) in enumerate(ballots)
                )
            )
        )
    finally:
        for client in clients:
            await client.aclose()


def test_a_thousand_concurrent_voters_none_lost(
    crowd_server: Process, redis_client: redis.Redis
) -> None:
    duel = make_duel(redis_client)
    did, home, away = duel["id"], duel["home"], duel["away"]
    ballots = [(voter_cookie(SECRET), home if n % 3 else away) for n in range(1000)]

    statuses = asyncio.run(_post_votes(crowd_server.url, did, ballots))

    assert Counter(statuses) == {202: 1000}
    assert redis_client.xlen(keys.votes(did)) == 1000
    assert redis_client.scard(keys.voters(did)) == 1000
    provisional = {team: int(n) for team, n in redis_client.hgetall(keys.provisional(did)).items()}
    expected = Counter(team for _, team in ballots)
    assert provisional == dict(expected) and sum(provisional.values()) == 1000


def test_the_same_voter_fifty_times_at_once_counts_once(
    crowd_server: Process, redis_client: redis.Redis
) -> None:
    duel = make_duel(redis_client)
    cookie = voter_cookie(SECRET)
    ballots = [(cookie, duel["home"] if n % 2 else duel["away"]) for n in range(50)]

    statuses = asyncio.run(_post_votes(crowd_server.url, duel["id"], ballots))

    assert Counter(statuses) == {202: 1, 409: 49}
    assert redis_client.xlen(keys.votes(duel["id"])) == 1
    assert sum(int(n) for n in redis_client.hvals(keys.provisional(duel["id"]))) == 1


def test_redis_down_answers_503_quickly_then_recovers(
    crowd_server: Process, redis_client: redis.Redis, redis_server: EmbeddedRedis
) -> None:
    duel = make_duel(redis_client)
    url = f"{crowd_server.url}/api/duels/{duel['id']}/votes"

    def post(cookie: str) -> httpx.Response:
        return httpx.post(
            url, json={"team_id": duel["home"]}, headers={"Cookie": f"mm_voter={cookie}"},
            timeout=10,
        )  # fmt: skip

    assert post(voter_cookie(SECRET)).status_code == 202
    redis_server.stop()
    try:
        for _ in range(3):
            started = time.monotonic()
            down = post(voter_cookie(SECRET))
            elapsed = time.monotonic() - started
            assert down.status_code == 503
            assert down.headers["Retry-After"] == "1"
            assert down.json()["detail"]["code"] == "store_unavailable"
            assert elapsed < 3, "never a hang"  # budget: redis_timeout (0.5 s) x2
    finally:
        redis_server.start()
    # The very next request after Redis is back works (the pool reconnects, the script
    # is loaded again); the vote before the outage survived (AOF).
    assert post(voter_cookie(SECRET)).status_code == 202
    assert redis_client.xlen(keys.votes(duel["id"])) == 2
