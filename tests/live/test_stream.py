"""The SSE endpoint against a real web server process and the real Redis."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
import redis

from duels import events, keys
from duels.redis_server import EmbeddedRedis
from duels.settings import Settings
from tests.live.factories import make_competition
from tests.live.sse import EventReader, open_stream, sse_clients_gauge
from tests.support import Process, start_cli, wait_for


def events_url(server: Process, cid: str) -> str:
    return f"{server.url}/api/competitions/{cid}/events"


def client_gauge(server: Process) -> float:
    return sse_clients_gauge(httpx.get(f"{server.url}/metrics", timeout=5).text)


async def publish_soon(client: redis.Redis, cid: str, kind: str, data: dict[str, object]) -> str:
    return await asyncio.to_thread(events.publish, client, cid, kind, data)


def test_unknown_competition_is_404(web_server: Process) -> None:
    response = httpx.get(events_url(web_server, "nope"), timeout=5)
    assert response.status_code == 404
    assert response.json()["detail"]["code"] == "unknown_competition"


def test_event_reaches_client_within_a_second_of_publish(
    web_server: Process, redis_client: redis.Redis
) -> None:
    competition = make_competition(redis_client)

    async def scenario() -> None:
        async with (
            httpx.AsyncClient(timeout=10) as http,
            open_stream(http, events_url(web_server, competition.cid)) as stream,
        ):
            hello = await stream.next_of("hello")
            assert hello.id == redis_client.xrevrange(keys.event_log(competition.cid))[0][0]
            for round_trip in range(3):
                started = time.monotonic()
                published = await publish_soon(
                    redis_client, competition.cid, "bracket", {"round": round_trip}
                )
                received = await stream.next(within=1.0)
                assert time.monotonic() - started < 1.0
                assert (received.event, received.id) == ("bracket", published)
                assert received.json() == {"type": "bracket", "round": round_trip}

    asyncio.run(scenario())


def test_resume_with_last_event_id_delivers_missed_events_once_in_order(
    web_server: Process, redis_client: redis.Redis
) -> None:
    competition = make_competition(redis_client)
    url = events_url(web_server, competition.cid)

    async def scenario() -> None:
        async with httpx.AsyncClient(timeout=10) as http:
            async with open_stream(http, url) as stream:
                seen = (await stream.next_of("hello")).id
            assert seen is not None
            missed = [
                events.publish(redis_client, competition.cid, "bracket", {"round": n})
                for n in range(5)
            ]
            async with open_stream(http, url, last_event_id=seen) as stream:
                replayed = [await stream.next(within=2) for _ in missed]
                assert [e.id for e in replayed] == missed
                assert [e.json() for e in replayed] == [
                    {"type": "bracket", "round": n} for n in range(5)
                ]
                live = await publish_soon(redis_client, competition.cid, "duel", {"duel": "x"})
                following = await stream.next(within=2)
                assert following.id == live  # nothing replayed twice in between
            # Resuming from the middle gets the rest, again once each.
            async with open_stream(http, url, last_event_id=missed[2]) as stream:
                rest = [await stream.next(within=2) for _ in range(3)]
                assert [e.id for e in rest] == [*missed[3:], live]
                with pytest.raises(TimeoutError):
                    await stream.next(within=0.5)

    asyncio.run(scenario())


def test_page_position_as_query_parameter_replays_too(
    web_server: Process, redis_client: redis.Redis
) -> None:
    competition = make_competition(redis_client)
    position = redis_client.xrevrange(keys.event_log(competition.cid))[0][0]
    later = events.publish(redis_client, competition.cid, "bracket", {"round": 1})

    async def scenario() -> None:
        async with httpx.AsyncClient(timeout=10) as http:
            url = f"{events_url(web_server, competition.cid)}?last_event_id={position}"
            async with open_stream(http, url) as stream:
                assert (await stream.next(within=2)).id == later

    asyncio.run(scenario())


def test_two_hundred_clients_all_get_the_event(
    settings: Settings, redis_client: redis.Redis
) -> None:
    competition = make_competition(redis_client)
    clients = 200
    # All from one address here; a venue's NAT gets the default cap (tests/live/test_limits.py).
    web_server = start_server(settings, MACHMAL_SSE_CLIENTS_PER_ADDRESS=str(clients))
    url = events_url(web_server, competition.cid)

    async def scenario() -> None:
        limits = httpx.Limits(max_connections=clients + 10)
        async with httpx.AsyncClient(timeout=20, limits=limits) as http:
            ready: list[EventReader] = []
            async with asyncio.TaskGroup() as group:
                streams = [open_stream(http, url) for _ in range(clients)]
                for stream in streams:
                    ready.append(await stream.__aenter__())
                for reader in ready:
                    group.create_task(reader.next_of("hello"))
            assert await asyncio.to_thread(client_gauge, web_server) == clients
            published = await publish_soon(redis_client, competition.cid, "bracket", {"round": 9})
            received = await asyncio.gather(*(reader.next(within=3) for reader in ready))
            assert {event.id for event in received} == {published}
            for stream in streams:
                await stream.__aexit__(None, None, None)

    try:
        asyncio.run(scenario())
        wait_for(lambda: client_gauge(web_server) == 0, timeout=10)
    finally:
        web_server.stop()


def test_disconnected_clients_are_removed(web_server: Process, redis_client: redis.Redis) -> None:
    competition = make_competition(redis_client)

    async def scenario() -> None:
        url = events_url(web_server, competition.cid)
        async with httpx.AsyncClient(timeout=10) as http, open_stream(http, url) as first:
            await first.next_of("hello")
            async with open_stream(http, events_url(web_server, competition.cid)) as second:
                await second.next_of("hello")
                assert await asyncio.to_thread(client_gauge, web_server) == 2
            await asyncio.to_thread(wait_for, lambda: client_gauge(web_server) == 1)
            # The one left still gets events.
            published = await publish_soon(redis_client, competition.cid, "bracket", {})
            assert (await first.next(within=2)).id == published

    asyncio.run(scenario())
    wait_for(lambda: client_gauge(web_server) == 0, timeout=10)


def test_heartbeats_and_shutdown_with_open_streams(
    settings: Settings, redis_client: redis.Redis
) -> None:
    """Idle streams get comment lines; SIGTERM ends open streams instead of hanging."""
    competition = make_competition(redis_client)
    server = start_server(settings, MACHMAL_SSE_HEARTBEAT_SECONDS="0.2")

    async def scenario() -> None:
        url = events_url(server, competition.cid)
        async with httpx.AsyncClient(timeout=10) as http, open_stream(http, url) as stream:
            await stream.next_of("hello")
            # Read on in the background until the stream ends.
            reading = asyncio.create_task(stream.next(within=30))
            await asyncio.to_thread(wait_for, lambda: stream.heartbeats >= 3, 5)
            started = time.monotonic()
            code = await asyncio.to_thread(server.stop)
            assert code == 0
            assert time.monotonic() - started < 5
            with pytest.raises((EOFError, httpx.HTTPError)):
                await reading

    try:
        asyncio.run(scenario())
    finally:
        server.stop()


def test_subscription_comes_back_after_redis_restarts(
    web_server: Process, redis_client: redis.Redis, redis_server: EmbeddedRedis
) -> None:
    competition = make_competition(redis_client)
    url = events_url(web_server, competition.cid)

    async def scenario() -> None:
        async with httpx.AsyncClient(timeout=10) as http, open_stream(http, url) as stream:
            await stream.next_of("hello")
            await asyncio.to_thread(redis_server.stop)
            await asyncio.sleep(1.0)  # the subscription notices and retries meanwhile
            await asyncio.to_thread(redis_server.start)
            client = redis.Redis.from_url(redis_server.url, decode_responses=True)

            def subscribed() -> bool:
                return "machmal_sse_subscribed 1.0" in httpx.get(f"{web_server.url}/metrics").text

            await asyncio.to_thread(wait_for, subscribed, 10)
            published = await publish_soon(client, competition.cid, "bracket", {"round": 2})
            received = await stream.next(within=2)
            assert received.id == published
            client.close()

    asyncio.run(scenario())


def start_server(settings: Settings, **env: str) -> Process:
    from duels.redis_server import free_port

    port = free_port()
    process = start_cli(settings, "serve", "--port", str(port), **env)
    process.url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        try:
            return httpx.get(f"{process.url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(answers, timeout=20)
    return process
