"""The fan-out in one process: slow clients, hidden counts, no leaked tasks."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import redis
import uvicorn
from starlette.types import Message

from duels import events, tournament
from duels.connection import connect_async
from duels.redis_server import free_port
from duels.settings import Settings
from tests.live.factories import make_competition
from web.app import create_app
from web.broadcast import Broadcaster
from web.event_stream import EventStream
from web.sse_frames import HEARTBEAT, Client, Frame


async def until(condition: Callable[[], bool], within: float = 5.0) -> None:
    async with asyncio.timeout(within):
        while not condition():  # noqa: ASYNC110 - polling plain state of the app
            await asyncio.sleep(0.02)


async def with_broadcaster(
    settings: Settings,
    queue_size: int,
    body: Callable[[Broadcaster], Awaitable[None]],
    tally_interval: float = 0.0,
    tally_sends_per_second: float = 5000.0,
    heartbeat: float = 15.0,
    send_timeout: float = 30.0,
) -> None:
    client = connect_async(settings)
    broadcaster = Broadcaster(
        client,
        queue_size=queue_size,
        tally_interval=tally_interval,
        tally_sends_per_second=tally_sends_per_second,
        heartbeat=heartbeat,
        send_timeout=send_timeout,
    )
    await broadcaster.start()
    try:
        await asyncio.wait_for(broadcaster.subscribed.wait(), 5)
        await body(broadcaster)
    finally:
        await broadcaster.stop()
        await client.aclose()


async def frames_of(client: Client, count: int) -> list[Frame]:
    frames: list[Frame] = []
    while len(frames) < count:
        frame = await asyncio.wait_for(client.next(), 5)
        assert frame is not None and frame is not HEARTBEAT
        frames.append(frame)
    return frames


def test_slow_client_is_told_to_resync_without_holding_up_others(
    settings: Settings, redis_client: redis.Redis
) -> None:
    competition = make_competition(redis_client)

    async def body(broadcaster: Broadcaster) -> None:
        fast = broadcaster.add(competition.cid)
        slow = broadcaster.add(competition.cid)
        published: list[str] = []
        for _ in range(10):
            # The fast client reads each frame before the next is published, so only the
            # slow one can overflow however busy the machine is.
            published.append(
                await asyncio.to_thread(
                    events.publish, redis_client, competition.cid, "bracket", {}
                )
            )
            [frame] = await frames_of(fast, 1)
            assert frame.id == published[-1]
        queued = [slow.queue.get_nowait() for _ in range(slow.queue.qsize())]
        assert len(queued) <= 3
        assert any(frame is not None and b"event: resync" in frame.data for frame in queued)
        assert queued[-1] is not None and queued[-1].id == published[-1]
        broadcaster.remove(fast)
        broadcaster.remove(slow)
        assert broadcaster.client_count == 0

    asyncio.run(with_broadcaster(settings, 3, body))


def test_running_counts_stay_hidden_when_the_duel_hides_results(
    settings: Settings, redis_client: redis.Redis
) -> None:
    competition = make_competition(redis_client)
    hidden, shown = competition.duel_ids[:2]
    tournament.open_voting(redis_client, hidden, show_results=False)
    tournament.open_voting(redis_client, shown)

    async def body(broadcaster: Broadcaster) -> None:
        watcher = broadcaster.add(competition.cid)
        for did in (hidden, shown):
            payload = {"duel": did, "counts": {"t": 7}, "quarantined": {}, "provisional": {}}
            await asyncio.to_thread(events.publish, redis_client, competition.cid, "tally", payload)
        first, second = await frames_of(watcher, 2)
        assert b'"hidden":true' in first.data and b'"t":7' not in first.data
        assert b'"counts":{"t":7}' in second.data

    asyncio.run(with_broadcaster(settings, 16, body))


def test_disconnects_leave_no_tasks_behind(settings: Settings, redis_client: redis.Redis) -> None:
    competition = make_competition(redis_client)
    app = create_app(settings.model_copy(update={"sse_clients_per_address": 100}))  # one address
    port = free_port()
    request = (
        f"GET /api/competitions/{competition.cid}/events HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n"
    ).encode()

    async def connect_and_leave(count: int) -> None:
        connections = []
        for _ in range(count):
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(request)
            connections.append((reader, writer))
        for reader, _ in connections:
            async with asyncio.timeout(5):
                while b"event: hello" not in await reader.readline():
                    pass
        assert app.state.broadcaster.client_count == count
        for _, writer in connections:
            writer.close()
            await writer.wait_closed()
        await until(lambda: app.state.broadcaster.client_count == 0)

    async def scenario() -> None:
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
        )
        serving = asyncio.create_task(server.serve())
        await until(lambda: server.started)
        try:
            await connect_and_leave(1)  # warm up lazily created tasks (pools, watchers)
            await asyncio.sleep(0.2)
            baseline = len(asyncio.all_tasks())
            await connect_and_leave(25)
            await until(lambda: len(asyncio.all_tasks()) <= baseline)
            assert len(asyncio.all_tasks()) == baseline
        finally:
            server.should_exit = True
            await serving

    asyncio.run(scenario())


def test_a_burst_of_tallies_reaches_screens_throttled_with_the_last_counts(
    settings: Settings, redis_client: redis.Redis
) -> None:
    competition = make_competition(redis_client)
    did = competition.duel_ids[0]

    async def body(broadcaster: Broadcaster) -> None:
        screen = broadcaster.add(competition.cid)
        published = [
            await asyncio.to_thread(
                events.publish, redis_client, competition.cid, "tally", {"duel": did, "counts": n}
            )
            for n in range(1, 21)
        ]
        frames: list[Frame] = []
        while not frames or frames[-1].id != published[-1]:
            frame = await asyncio.wait_for(screen.next(), 5)
            assert frame is not None and frame is not HEARTBEAT
            frames.append(frame)
        # The first is sent at once, the newest always arrives, most of the burst is skipped.
        assert frames[0].id == published[0]
        assert b'"counts":20' in frames[-1].data
        assert len(frames) < len(published) // 2
        broadcaster.remove(screen)

    # One send per second allowed: even one watcher makes the full 0.3 s gap.
    asyncio.run(with_broadcaster(settings, 64, body, tally_interval=0.3, tally_sends_per_second=1))


def test_a_duel_watched_by_few_gets_every_tally_at_once(
    settings: Settings, redis_client: redis.Redis
) -> None:
    """Adaptive coalescing: the gap between updates grows with the watchers only."""
    competition = make_competition(redis_client)
    did = competition.duel_ids[0]

    async def body(broadcaster: Broadcaster) -> None:
        assert broadcaster.tally_gap(2) == 2 / 5000
        assert broadcaster.tally_gap(100_000) == 0.5
        screens = [broadcaster.add(competition.cid) for _ in range(2)]
        for n in range(1, 21):  # 100 tallies a second: far slower than 2 watchers' gap
            await asyncio.to_thread(
                events.publish, redis_client, competition.cid, "tally", {"duel": did, "counts": n}
            )
            await asyncio.sleep(0.01)
        for screen in screens:
            frames = await frames_of(screen, 20)
            assert [b'"counts":%d' % n in frame.data for n, frame in enumerate(frames, 1)] == [
                True
            ] * 20
            broadcaster.remove(screen)

    asyncio.run(
        with_broadcaster(settings, 64, body, tally_interval=0.5, tally_sends_per_second=5000)
    )


def test_a_stream_whose_send_is_stuck_is_ended_by_the_ticker(
    settings: Settings, redis_client: redis.Redis
) -> None:
    """A client that stops reading blocks the server's send; the stream ends by itself
    (no timer per client) and gives its place back."""
    competition = make_competition(redis_client)

    async def body(broadcaster: Broadcaster) -> None:
        sent: list[str] = []
        never = asyncio.Event()

        async def send(message: Message) -> None:
            sent.append(str(message["type"]))
            if message["type"] == "http.response.body":
                await never.wait()  # the socket buffer is full and stays full

        async def receive() -> Message:
            await never.wait()
            return {"type": "http.disconnect"}

        stream = EventStream(broadcaster, competition.cid, None)
        await asyncio.wait_for(stream({"type": "http"}, receive, send), 5)
        assert sent == ["http.response.start", "http.response.body"]
        assert broadcaster.client_count == 0

    asyncio.run(with_broadcaster(settings, 8, body, heartbeat=0.2, send_timeout=0.3))
