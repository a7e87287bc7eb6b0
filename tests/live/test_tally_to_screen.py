"""End to end: a vote through the real endpoint, tallied by a real worker, on the SSE stream."""

from __future__ import annotations

import asyncio
import time

import httpx
import redis

from duels import keys, tournament
from tests.live.factories import make_competition
from tests.live.sse import open_stream
from tests.support import Process


def test_tallied_vote_reaches_the_stream_within_a_second(
    web_server: Process, worker: Process, redis_client: redis.Redis
) -> None:
    competition = make_competition(redis_client)
    did = competition.duel_ids[0]
    tournament.open_voting(redis_client, did)
    home = redis_client.hget(keys.duel(did), "home")
    url = f"{web_server.url}/api/competitions/{competition.cid}/events"

    async def scenario() -> None:
        async with (
            httpx.AsyncClient(timeout=10) as http,
            open_stream(http, url) as stream,
            httpx.AsyncClient(base_url=web_server.url, timeout=10) as phone,
        ):
            await stream.next_of("hello")
            assert (await phone.get(f"/vote/{did}")).status_code == 200  # voter cookie
            answer = await phone.post(f"/api/duels/{did}/votes", json={"team_id": home})
            assert answer.status_code == 202, answer.text
            accepted = time.monotonic()
            tally = await stream.next_of("tally", within=1.0)
            assert time.monotonic() - accepted < 1.0
            payload = tally.json()
            assert isinstance(payload, dict)
            assert payload["duel"] == did
            assert payload["counts"][home] == 1

    asyncio.run(scenario())
