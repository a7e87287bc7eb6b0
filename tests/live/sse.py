"""A small SSE client over httpx streaming, for the tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx
import orjson


@dataclass
class Event:
    event: str = "message"
    id: str | None = None
    data: str = ""
    comments: list[str] = field(default_factory=list)

    def json(self) -> object:
        return orjson.loads(self.data)


class EventReader:
    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()
        self.heartbeats = 0

    async def next(self, within: float = 5.0) -> Event:
        """The next event (comments are counted as heartbeats, not returned)."""
        async with asyncio.timeout(within):
            event = Event()
            data: list[str] = []
            async for line in self._lines:
                if line == "":
                    if data or event.id is not None or event.event != "message":
                        event.data = "\n".join(data)
                        return event
                    continue
                name, _, value = line.partition(":")
                value = value.removeprefix(" ")
                if name == "":
                    self.heartbeats += 1
                elif name == "data":
                    data.append(value)
                elif name == "id":
                    event.id = value
                elif name == "event":
                    event.event = value
            raise EOFError("stream ended")

    async def next_of(self, kind: str, within: float = 5.0) -> Event:
        async with asyncio.timeout(within):
            while True:
                event = await self.next(within)
                if event.event == kind:
                    return event


@asynccontextmanager
async def open_stream(
    http: httpx.AsyncClient, url: str, last_event_id: str | None = None
) -> AsyncIterator[EventReader]:
    headers = {"Accept": "text/event-stream"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = last_event_id
    async with http.stream("GET", url, headers=headers) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        yield EventReader(response)


def sse_clients_gauge(metrics_text: str) -> float:
    for line in metrics_text.splitlines():
        if line.startswith("machmal_sse_clients "):
            return float(line.split()[1])
    raise AssertionError("machmal_sse_clients missing from /metrics")
