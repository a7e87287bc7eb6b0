"""The web process restarted (SIGTERM, started again on the same port) while live-board
clients are connected: they reconnect with Last-Event-ID, as a browser's EventSource
does, and get every event published while the server was down, exactly once, in order."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import httpx
import pytest
import redis

from duels import events
from duels.redis_server import free_port
from duels.settings import Settings
from tests.live.factories import make_competition
from tests.support import start_web, wait_for

pytestmark = pytest.mark.slow

CLIENTS = 3


@dataclass
class Subscriber:
    """A resuming SSE client: on any end of the stream it reconnects after a short
    pause, sending the last id it saw as ``Last-Event-ID``."""

    url: str
    received: list[tuple[str, str]] = field(default_factory=list)  # (id, event type)
    connections: int = 0
    last_id: str | None = None
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        while not self.stop.is_set():
            headers = {"Accept": "text/event-stream"}
            if self.last_id:
                headers["Last-Event-ID"] = self.last_id
            try:
                with (
                    httpx.Client(timeout=httpx.Timeout(5, read=30)) as http,
                    http.stream("GET", self.url, headers=headers) as response,
                ):
                    if response.status_code != 200:
                        raise httpx.HTTPError(f"status {response.status_code}")
                    self.connections += 1
                    self._read(response)
            except httpx.HTTPError:
                pass
            self.stop.wait(0.2)

    def _read(self, response: httpx.Response) -> None:
        event_id, kind = None, "message"
        try:
            for line in response.iter_lines():
                if self.stop.is_set():
                    return
                if line == "":
                    if event_id is not None:
                        self.last_id = event_id
                        self.received.append((event_id, kind))
                    event_id, kind = None, "message"
                elif line.startswith("id:"):
                    event_id = line[3:].strip()
                elif line.startswith("event:"):
                    kind = line[6:].strip()
        except httpx.ReadTimeout:
            return  # a silent stream counts as dropped, as in a browser

    def published(self) -> list[str]:
        return [event_id for event_id, kind in self.received if kind == "duel"]


def test_clients_resume_across_a_web_restart_receiving_missed_events_once(
    settings: Settings, redis_client: redis.Redis
) -> None:
    competition = make_competition(redis_client)
    port = free_port()
    web = start_web(settings, port=port)
    url = f"{web.url}/api/competitions/{competition.cid}/events"
    subscribers = [Subscriber(url) for _ in range(CLIENTS)]
    threads = [threading.Thread(target=s.run, daemon=True) for s in subscribers]
    for thread in threads:
        thread.start()

    def publish(count: int, phase: str) -> list[str]:
        return [
            events.publish(redis_client, competition.cid, "duel", {"duel": f"{phase}{n}"})
            for n in range(count)
        ]

    def everyone_has(expected: list[str]) -> bool:
        return all(s.published() == expected for s in subscribers)

    try:
        wait_for(lambda: all(s.connections for s in subscribers), timeout=10)
        before = publish(3, "before")
        wait_for(lambda: everyone_has(before), timeout=10)

        web.stop()  # SIGTERM: the clients' streams end, reconnects are refused
        time.sleep(0.5)
        while_down = publish(5, "down")
        time.sleep(0.5)
        web = start_web(settings, port=port)

        wait_for(lambda: everyone_has(before + while_down), timeout=20)
        after = publish(2, "after")
        wait_for(lambda: everyone_has(before + while_down + after), timeout=10)
        time.sleep(0.5)  # nothing arrives late, twice
        for subscriber in subscribers:
            assert subscriber.published() == before + while_down + after
            assert subscriber.connections >= 2, "the client did reconnect"
    finally:
        for subscriber in subscribers:
            subscriber.stop.set()
        web.stop()
        for thread in threads:
            thread.join(10)
