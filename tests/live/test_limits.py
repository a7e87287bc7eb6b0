"""Live-event streams are capped per address and per process; the server caps connections.

Was: no cap at all, so one address could hold thousands of idle streams (each a socket,
a queue and a task in the web process) and starve the projectors and the vote path.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import redis

from duels import errors
from duels.settings import Settings
from tests.live.factories import make_competition
from tests.live.sse import EventReader, open_stream, sse_clients_gauge
from tests.support import Process, start_web, wait_for
from web.stream_slots import StreamSlots

OTHER_ADDRESS = "127.0.0.2"  # loopback too, so the server sees a second client address


@contextlib.contextmanager
def serving(settings: Settings, **limits: int) -> Iterator[Process]:
    process = start_web(settings.model_copy(update=limits))
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def cid(redis_client: redis.Redis) -> str:
    return make_competition(redis_client).cid


def events_url(server: Process, cid: str) -> str:
    return f"{server.url}/api/competitions/{cid}/events"


def gauge(server: Process) -> float:
    return sse_clients_gauge(httpx.get(f"{server.url}/metrics", timeout=5).text)


def http_from(address: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(timeout=10, transport=transport)


@contextlib.asynccontextmanager
async def streams(
    http: httpx.AsyncClient, url: str, count: int
) -> AsyncIterator[list[EventReader]]:
    async with contextlib.AsyncExitStack() as stack:
        readers = [await stack.enter_async_context(open_stream(http, url)) for _ in range(count)]
        for reader in readers:
            await reader.next_of("hello")
        yield readers


async def refusal(http: httpx.AsyncClient, url: str) -> tuple[int, str, str | None]:
    """Status, error code and Retry-After of a stream that must not open."""
    async with http.stream("GET", url, headers={"Accept": "text/event-stream"}) as response:
        body = await response.aread()
    code = httpx.Response(200, content=body).json()["detail"]["code"] if body else ""
    return response.status_code, code, response.headers.get("retry-after")


def test_a_fourth_stream_from_one_address_is_429_others_still_connect(
    settings: Settings, cid: str
) -> None:
    async def scenario(server: Process) -> None:
        url = events_url(server, cid)
        async with http_from() as http, http_from(OTHER_ADDRESS) as other:
            async with streams(http, url, 3):
                status, code, retry_after = await refusal(http, url)
                assert (status, code) == (429, "live_streams_per_address")
                assert retry_after is not None and int(retry_after) >= 1
                async with streams(other, url, 1):
                    assert await asyncio.to_thread(gauge, server) == 4
            # The three closed: their slots are free again.
            await asyncio.to_thread(wait_for, lambda: gauge(server) == 0)
            async with streams(http, url, 3):
                pass

    with serving(settings, sse_clients_per_address=3) as server:
        asyncio.run(scenario(server))


def test_closing_a_stream_frees_its_slot(settings: Settings, cid: str) -> None:
    async def scenario(server: Process) -> None:
        url = events_url(server, cid)
        async with http_from() as http, streams(http, url, 1), contextlib.AsyncExitStack() as one:
            await one.enter_async_context(streams(http, url, 1))
            assert (await refusal(http, url))[0] == 429
            await one.aclose()  # the client goes away (no goodbye, the socket closes)

            async def reconnects() -> None:
                while True:
                    try:
                        async with streams(http, url, 1):
                            return
                    except AssertionError:
                        await asyncio.sleep(0.1)  # the server has not noticed yet

            await asyncio.wait_for(reconnects(), timeout=10)

    with serving(settings, sse_clients_per_address=2) as server:
        asyncio.run(scenario(server))


def test_a_full_process_answers_503(settings: Settings, cid: str) -> None:
    async def scenario(server: Process) -> None:
        url = events_url(server, cid)
        async with (
            http_from() as http,
            http_from(OTHER_ADDRESS) as other,
            streams(http, url, 2),
            streams(other, url, 1),
        ):
            for client in (http, other):
                status, code, retry_after = await refusal(client, url)
                assert (status, code) == (503, "live_streams_full")
                assert retry_after is not None and int(retry_after) >= 1
            # Pages and the API are not streams: they still answer.
            assert (await http.get(f"{server.url}/api/competitions/{cid}")).status_code == 200

    with serving(settings, sse_clients_per_process=3, sse_clients_per_address=20) as server:
        asyncio.run(scenario(server))
        wait_for(lambda: gauge(server) == 0)


def test_the_server_caps_its_connections(settings: Settings) -> None:
    """``machmal serve`` passes MACHMAL_MAX_CONNECTIONS on to uvicorn (limit_concurrency)."""
    with serving(settings, max_connections=8, sse_clients_per_process=4) as server:
        host, port = server.url.removeprefix("http://").split(":")
        with contextlib.ExitStack() as idle:
            for _ in range(8):
                idle.enter_context(socket.create_connection((host, int(port)), timeout=10))
            assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 503
        wait_for(lambda: httpx.get(f"{server.url}/healthz", timeout=5).status_code == 200)


def test_an_ipv6_client_counts_as_its_64_and_a_slot_is_given_back_once() -> None:
    slots = StreamSlots(per_address=2, per_process=10)
    first = slots.take("2001:db8:1:2::1")
    slots.take("2001:db8:1:2:ffff::9")  # same /64: same subject
    with pytest.raises(errors.Throttled) as refused:
        slots.take("2001:db8:1:2::77")
    assert refused.value.code == "live_streams_per_address"
    slots.take("2001:db8:1:3::1")  # the next /64 is someone else
    first.release()
    first.release()  # a second release must not free someone else's slot
    assert slots.total == 2
    assert slots.held_by("2001:db8:1:2::1") == 1
