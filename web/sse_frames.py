"""What an SSE client is sent and how: frames encoded once and shared by every client,
and one client's bounded queue, which the fan-out fills without ever waiting."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Any

import orjson
from prometheus_client import Counter
from starlette.types import Send

from web import metrics

_STREAM_ID = re.compile(r"^\d{1,20}-\d{1,20}$")
_KIND = re.compile(r"^[a-z_]{1,32}$")

sse_resyncs = Counter(
    "machmal_sse_resyncs", "Slow SSE clients told to resync.", registry=metrics.registry
)

StreamKey = tuple[int, int]


def stream_key(entry_id: str) -> StreamKey:
    """Stream ids compare as (milliseconds, sequence), not as strings."""
    millis, _, sequence = entry_id.partition("-")
    return int(millis), int(sequence or 0)


def valid_event_id(value: str | None) -> str | None:
    return value if value and _STREAM_ID.match(value) else None


@dataclass(frozen=True, slots=True)
class Frame:
    """One encoded SSE message, built once and shared by every client."""

    id: str
    data: bytes


HEARTBEAT = Frame("", b": keep-alive\n\n")


def event_frame(entry_id: str, payload: dict[str, Any]) -> Frame:
    kind = str(payload.get("type", "message"))
    if not _KIND.match(kind):
        kind = "message"
    # orjson output has no newlines, so the JSON is one SSE data line.
    body = b"id: %s\nevent: %s\ndata: %s\n\n" % (
        entry_id.encode(),
        kind.encode(),
        orjson.dumps(payload),
    )
    return Frame(entry_id, body)


def control_frame(kind: str, entry_id: str | None) -> Frame:
    """``hello`` / ``resync``: an id (when given) moves the browser's resume point."""
    id_line = b"id: %s\n" % entry_id.encode() if entry_id else b""
    return Frame(entry_id or "", id_line + b"event: %s\ndata: {}\n\n" % kind.encode())


class Client:
    """One SSE connection: a bounded queue the fan-out fills without waiting."""

    __slots__ = (
        "channel", "closed", "last_active", "queue", "sending_since", "skip_through", "stalled",
        "task",
    )  # fmt: skip

    def __init__(self, channel: str, queue_size: int) -> None:
        self.channel = channel
        self.queue: asyncio.Queue[Frame | None] = asyncio.Queue(maxsize=queue_size)
        self.closed = False
        # Events up to this id were already sent in the prelude (replay or hello).
        self.skip_through: StreamKey | None = None
        self.last_active = asyncio.get_running_loop().time()
        self.sending_since: float | None = None
        self.stalled = False  # the ticker gave up on a stuck send
        self.task: asyncio.Task[Any] | None = None  # the stream's task, while it runs

    def offer(self, frame: Frame) -> None:
        if self.closed:
            return
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:
            _empty(self.queue)
            self.queue.put_nowait(control_frame("resync", frame.id))
            sse_resyncs.inc()

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        _empty(self.queue)
        self.queue.put_nowait(None)

    async def next(self) -> Frame | None:
        """The next frame to send (heartbeats come from the ticker), None when closed."""
        while True:
            frame = await self.queue.get()
            if frame is None or not frame.id or self.skip_through is None:
                return frame
            if stream_key(frame.id) > self.skip_through:
                self.skip_through = None  # ids only grow from here
                return frame

    async def send(self, send: Send, data: bytes) -> None:
        loop = asyncio.get_running_loop()
        self.sending_since = loop.time()
        await send({"type": "http.response.body", "body": data, "more_body": True})
        self.sending_since = None
        self.last_active = loop.time()

    def abandon(self) -> None:
        """End a stream whose send is stuck (the client stopped reading)."""
        self.stalled = True
        self.close()
        if self.task is not None:
            self.task.cancel()


def _empty(queue: asyncio.Queue[Frame | None]) -> None:
    while not queue.empty():
        queue.get_nowait()
