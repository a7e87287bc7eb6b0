"""Live events to SSE clients: ONE Redis pub/sub subscription per web process,
fanned out in memory to every connected client.

Each client has a bounded queue. Fan-out never waits: a client whose queue is
full (a slow phone, a stalled proxy) loses its queued events and gets a single
``resync`` event instead, telling it to refetch the whole state, so one slow
client never holds up the others. Events carry their event-log stream id as the
SSE ``id``, so a browser reconnecting with ``Last-Event-ID`` gets exactly the
events it missed, in order, from the competition's capped event log.

The subscription task reconnects by itself (with backoff) when Redis goes away
and, once back, replays from the event log what its clients missed meanwhile.

No client holds a timer: one ticker per process sends heartbeats to idle clients and
ends streams whose send has been stuck too long (web/sse_frames.py, web/event_stream.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
import redis.asyncio as aioredis
import redis.exceptions
from prometheus_client import Gauge

from duels import keys
from duels.events import EVENT_LOG_LENGTH
from duels.records import counts_public
from web import metrics
from web.sse_frames import (
    HEARTBEAT,
    Client,
    Frame,
    StreamKey,
    control_frame,
    event_frame,
    stream_key,
    valid_event_id,
)

log = logging.getLogger(__name__)
SHUTDOWN_SECONDS = 3.0

EVENTS_PATTERN = keys.events_channel("*")
# Browsers wait this long before reconnecting an EventSource (SSE ``retry:``).
RECONNECT_MILLISECONDS = 2000
# A resume further back than this is answered with ``resync`` instead of a replay.
BACKLOG_LIMIT = 2 * EVENT_LOG_LENGTH
# A send blocked this long (client not reading, socket buffer full) ends the stream.
SEND_TIMEOUT_SECONDS = 30.0
# How often the ticker looks for idle clients (heartbeats) and stuck sends.
TICK_SECONDS = 1.0
# Longest a duel's "counts visible" answer is reused for live tally events.
VISIBILITY_SECONDS = 2.0

sse_clients = Gauge(
    "machmal_sse_clients", "SSE clients connected to this web process.", registry=metrics.registry
)
sse_subscribed = Gauge(
    "machmal_sse_subscribed",
    "1 while this process holds its Redis pub/sub subscription.",
    registry=metrics.registry,
)


@dataclass(slots=True)
class Topic:
    """The clients of one competition and how far its events were delivered."""

    cid: str
    clients: set[Client] = field(default_factory=set)
    last_id: str | None = None
    # After a reconnect: events up to this id were replayed from the log, so
    # their pub/sub copies (if any still arrive) are dropped.
    replayed_through: StreamKey | None = None

    def delivered(self, entry_id: str) -> None:
        if self.last_id is None or stream_key(entry_id) > stream_key(self.last_id):
            self.last_id = entry_id


class Broadcaster:
    def __init__(
        self,
        client: aioredis.Redis,
        *,
        bus: aioredis.Redis | None = None,
        queue_size: int = 64,
        min_backoff: float = 0.1,
        max_backoff: float = 2.0,
        tally_interval: float = 0.0,
        tally_sends_per_second: float = 5000.0,
        heartbeat: float = 15.0,
        send_timeout: float = SEND_TIMEOUT_SECONDS,
    ) -> None:
        self._redis = client  # the store: event log, duel records
        # Where events are announced (the queue Redis when the store is a Redis Cluster).
        self._bus = bus or client
        self._queue_size = queue_size
        self._min_backoff = min_backoff
        self._max_backoff = max_backoff
        self._topics: dict[str, Topic] = {}  # by pub/sub channel name
        # Tally events carry absolute counts, so under a burst only the latest per duel
        # needs to reach the screens, the last one always (a trailing send). The gap
        # between two updates of a duel grows with its watchers, so that its updates
        # cost at most ``tally_sends_per_second`` client sends: a few screens see every
        # count at once, thousands get one update per ``tally_interval`` at most.
        self._tally_interval = tally_interval
        self._tally_sends_per_second = tally_sends_per_second
        self._heartbeat = heartbeat
        self._send_timeout = send_timeout
        self._tally_sent: dict[tuple[str, str], float] = {}
        self._tally_waiting: dict[tuple[str, str], Frame] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._visibility: dict[str, bool] = {}
        self._visibility_until = 0.0
        self._stopping = False
        self.subscribed = asyncio.Event()

    @property
    def client_count(self) -> int:
        return sum(len(topic.clients) for topic in self._topics.values())

    async def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._run(), name="sse-subscription"))
        self._tasks.append(asyncio.create_task(self._tick(), name="sse-ticker"))
        server_exiting = _uvicorn_exit_flag()
        if server_exiting is not None:
            watcher = self._close_on_server_exit(server_exiting)
            self._tasks.append(asyncio.create_task(watcher, name="sse-shutdown-watch"))

    async def stop(self) -> None:
        self._stopping = True
        self.close_all()
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            # Bounded: a pub/sub connection cancelled mid-read can leave its close waiting
            # forever, and a shutdown must never hang on it.
            _, stuck = await asyncio.wait(self._tasks, timeout=SHUTDOWN_SECONDS)
            for task in stuck:
                log.warning("live-event task %s did not stop in time; left behind", task)
        self._tasks.clear()

    def close_all(self) -> None:
        for topic in self._topics.values():
            for client in list(topic.clients):
                client.close()

    # -- clients -------------------------------------------------------------

    def add(self, cid: str) -> Client:
        channel = keys.events_channel(cid)
        client = Client(channel, self._queue_size)
        topic = self._topics.get(channel)
        if topic is None:
            topic = self._topics[channel] = Topic(cid)
        topic.clients.add(client)
        sse_clients.inc()
        if self._stopping:
            client.close()
        return client

    def remove(self, client: Client) -> None:
        client.close()
        topic = self._topics.get(client.channel)
        if topic is None or client not in topic.clients:
            return
        topic.clients.discard(client)
        sse_clients.dec()
        if not topic.clients:
            del self._topics[client.channel]

    async def open(self, cid: str, last_event_id: str | None) -> tuple[Client, bytes]:
        """Register a client and build what it gets first: the replay after
        ``last_event_id``, or a ``hello`` carrying the current resume point.

        The client is registered BEFORE the log is read, so an event published
        meanwhile is either in the replay or in the queue (and then skipped)."""
        client = self.add(cid)
        try:
            frames, through = await self._prelude(cid, valid_event_id(last_event_id))
        except BaseException:
            self.remove(client)
            raise
        if through is not None:
            client.skip_through = stream_key(through)
            topic = self._topics.get(client.channel)
            if topic is not None:
                topic.delivered(through)
        head = b"retry: %d\n\n" % RECONNECT_MILLISECONDS
        return client, head + b"".join(frame.data for frame in frames)

    async def _prelude(self, cid: str, after: str | None) -> tuple[list[Frame], str | None]:
        event_log = keys.event_log(cid)
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.xrevrange(event_log, count=1)
            if after is not None:
                pipe.xrange(event_log, min=f"({after}", max="+", count=BACKLOG_LIMIT)
                pipe.xrange(event_log, count=1)
                pipe.xlen(event_log)
            answers = await pipe.execute()
        latest = answers[0][0][0] if answers[0] else "0-0"
        if after is None:
            return [control_frame("hello", latest)], latest
        entries, first, length = answers[1], answers[2], answers[3]
        # Approximate trimming keeps at least EVENT_LOG_LENGTH entries: a shorter log
        # lost nothing; a longer one whose oldest entry is past ``after`` may have.
        gone = bool(first) and stream_key(first[0][0]) > stream_key(after)
        trimmed = length >= EVENT_LOG_LENGTH and gone
        if trimmed or len(entries) >= BACKLOG_LIMIT:
            return [control_frame("resync", latest)], latest
        frames = await self._frames(entries)
        return frames, (entries[-1][0] if entries else after)

    # -- subscription --------------------------------------------------------

    async def _run(self) -> None:
        backoff = self._min_backoff
        while True:
            pubsub = self._bus.pubsub(ignore_subscribe_messages=True)
            try:
                await pubsub.psubscribe(EVENTS_PATTERN)
                await self._replay_missed()
                self.subscribed.set()
                sse_subscribed.set(1)
                backoff = self._min_backoff
                while True:
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
                    if message is not None and message.get("type") == "pmessage":
                        await self._dispatch(str(message["channel"]), message["data"])
            except (redis.exceptions.RedisError, OSError) as exc:
                log.warning("event subscription lost (%s); reconnecting", exc)
            finally:
                self.subscribed.clear()
                sse_subscribed.set(0)
                with contextlib.suppress(redis.exceptions.RedisError, OSError, TimeoutError):
                    await asyncio.wait_for(pubsub.aclose(), SHUTDOWN_SECONDS)  # type: ignore[no-untyped-call]
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._max_backoff)

    def _live_visibility(self) -> dict[str, bool]:
        """Whether duels show running counts, for live events: kept until the duel's next
        ``duel`` event (published with every status and results-mode change, and
        dispatched in order before later tallies) or VISIBILITY_SECONDS at most."""
        now = asyncio.get_running_loop().time()
        if now > self._visibility_until:
            self._visibility.clear()
            self._visibility_until = now + VISIBILITY_SECONDS
        return self._visibility

    async def _dispatch(self, channel: str, raw: str) -> None:
        topic = self._topics.get(channel)
        if topic is None:
            return  # nobody here watches that competition
        try:
            envelope = orjson.loads(raw)
            entry_id = str(envelope["id"])
            payload = orjson.loads(envelope["data"])
        except (orjson.JSONDecodeError, KeyError, TypeError):
            log.warning("malformed event on %s ignored", channel)
            return
        if not valid_event_id(entry_id) or not isinstance(payload, dict):
            return
        if topic.replayed_through is not None and stream_key(entry_id) <= topic.replayed_through:
            return
        if payload.get("type") == "duel":  # status or results mode may have changed
            self._visibility.pop(str(payload.get("duel", "")), None)
        frame = await self._frame(entry_id, payload, self._live_visibility())
        if payload.get("type") == "tally" and self._tally_interval > 0:
            self._coalesce_tally(channel, str(payload.get("duel", "")), frame)
        else:
            self._fan_out(topic, frame)

    def tally_gap(self, watchers: int) -> float:
        """Seconds between two tally updates of one duel watched by ``watchers`` here."""
        return min(self._tally_interval, watchers / self._tally_sends_per_second)

    def _coalesce_tally(self, channel: str, did: str, frame: Frame) -> None:
        key = (channel, did)
        loop = asyncio.get_running_loop()
        now = loop.time()
        last = self._tally_sent.get(key)
        if key in self._tally_waiting:
            self._tally_waiting[key] = frame  # a send is due; it takes the newest counts
            return
        topic = self._topics.get(channel)
        gap = self.tally_gap(len(topic.clients) if topic else 0)
        if last is None or now - last >= gap:
            self._send_tally(key, frame)
            return
        self._tally_waiting[key] = frame
        loop.call_later(last + gap - now, self._send_waiting_tally, key)

    def _send_waiting_tally(self, key: tuple[str, str]) -> None:
        frame = self._tally_waiting.pop(key, None)
        if frame is not None:
            self._send_tally(key, frame)

    def _send_tally(self, key: tuple[str, str], frame: Frame) -> None:
        self._tally_sent[key] = asyncio.get_running_loop().time()
        topic = self._topics.get(key[0])
        if topic is None:
            self._tally_sent.pop(key, None)  # nobody watches that competition any more
            return
        self._fan_out(topic, frame)

    def _fan_out(self, topic: Topic, frame: Frame) -> None:
        topic.delivered(frame.id)
        for client in topic.clients:
            client.offer(frame)

    async def _tick(self) -> None:
        """Heartbeats for idle clients, the end for clients whose send is stuck."""
        loop = asyncio.get_running_loop()
        every = min(TICK_SECONDS, self._heartbeat / 2)
        while True:
            await asyncio.sleep(every)
            now = loop.time()
            for topic in list(self._topics.values()):
                for client in list(topic.clients):
                    since = client.sending_since
                    if since is not None and now - since > self._send_timeout:
                        client.abandon()
                    elif now - client.last_active >= self._heartbeat and client.queue.empty():
                        client.last_active = now
                        client.offer(HEARTBEAT)

    async def _replay_missed(self) -> None:
        """After (re)subscribing: send each topic what was logged since its last event."""
        for channel, topic in list(self._topics.items()):
            if topic.last_id is None or not topic.clients:
                continue
            frames, _ = await self._prelude(topic.cid, topic.last_id)
            if self._topics.get(channel) is not topic:
                continue
            for frame in frames:
                if frame.id:
                    topic.replayed_through = stream_key(frame.id)
                self._fan_out(topic, frame)

    # -- encoding ------------------------------------------------------------

    async def _frames(self, entries: list[tuple[str, dict[str, str]]]) -> list[Frame]:
        visible: dict[str, bool] = {}
        frames = []
        for entry_id, fields in entries:
            try:
                payload = orjson.loads(fields.get("e", ""))
            except orjson.JSONDecodeError:
                continue
            if isinstance(payload, dict):
                frames.append(await self._frame(entry_id, payload, visible))
        return frames

    async def _frame(
        self, entry_id: str, payload: dict[str, Any], visible: dict[str, bool]
    ) -> Frame:
        if payload.get("type") == "tally":
            payload = await self._hide_running_counts(payload, visible)
        return event_frame(entry_id, payload)

    async def _hide_running_counts(
        self, payload: dict[str, Any], visible: dict[str, bool]
    ) -> dict[str, Any]:
        """A duel with ``show_results`` off keeps its counts to itself until decided
        (also for events logged before it was, replayed to a reconnecting client)."""
        did = str(payload.get("duel", ""))
        if did not in visible:
            status, show = await self._redis.hmget(keys.duel(did), ["status", "show_results"])
            visible[did] = counts_public(str(status or ""), show != "0")
        if visible[did]:
            return payload
        return {"type": "tally", "duel": did, "hidden": True}

    async def _close_on_server_exit(self, exiting: Callable[[], bool]) -> None:
        # uvicorn waits for open responses before it runs the lifespan shutdown,
        # so endless SSE responses must end as soon as it is asked to exit.
        while not exiting():  # noqa: ASYNC110 - a plain flag of uvicorn's
            await asyncio.sleep(0.2)
        self._stopping = True
        self.close_all()


def _uvicorn_exit_flag() -> Callable[[], bool] | None:
    """``server.should_exit`` of the uvicorn server running us, if any.

    uvicorn installs its bound ``handle_exit`` as the SIGTERM handler while it
    serves; that is the only public handle on the server from inside the app."""
    handler = signal.getsignal(signal.SIGTERM)
    server = getattr(handler, "__self__", None)
    if server is None or not hasattr(server, "should_exit"):
        return None
    return lambda: bool(server.should_exit)
