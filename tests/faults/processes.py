"""Helpers of the fault tests: a web server on a chosen port, Redis restarted from its AOF,
and voters that remember what the server answered them."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import redis

from duels.redis_server import EmbeddedRedis
from duels.settings import Settings
from tests.support import Process, start_cli, wait_for
from voting.tokens import VOTER_COOKIE, VoteSecrets, new_voter_id


def start_web_on(settings: Settings, port: int) -> Process:
    """``machmal serve`` on ``port`` (to restart a server where its clients expect it)."""
    process = start_cli(settings, "serve", "--port", str(port))
    process.url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        if process.popen.poll() is not None:
            raise AssertionError(f"web server exited with {process.popen.returncode}")
        try:
            return httpx.get(f"{process.url}/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(answers, timeout=20)
    return process


def restart_from_aof(server: EmbeddedRedis) -> None:
    """Start the killed server again on its port and data dir; wait until the AOF is loaded."""
    server.start()
    probe = redis.Redis(port=server.port)

    def loaded() -> bool:
        try:
            return bool(probe.ping())
        except redis.exceptions.BusyLoadingError:
            return False

    try:
        wait_for(loaded, timeout=30)
    finally:
        probe.close()


@dataclass
class Answer:
    voter: str
    status: int  # 0: no HTTP answer at all
    seconds: float
    sent_at: float


@dataclass
class Voters:
    """Threads that vote as fresh voters until stopped, recording every answer."""

    url: str
    did: str
    team: str
    secret_key: str
    answers: list[Answer] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def accepted(self) -> list[str]:
        with self._lock:
            return [a.voter for a in self.answers if a.status == 202]

    def _run(self) -> None:
        secrets = VoteSecrets(self.secret_key)
        with httpx.Client(base_url=self.url, timeout=10) as http:
            while not self._stop.is_set():
                voter = new_voter_id()
                http.cookies.set(VOTER_COOKIE, secrets.sign_voter(voter))
                started = time.monotonic()
                try:
                    status = http.post(
                        f"/api/duels/{self.did}/votes", json={"team_id": self.team}
                    ).status_code
                except httpx.HTTPError:
                    status = 0
                answer = Answer(voter, status, time.monotonic() - started, started)
                with self._lock:
                    self.answers.append(answer)
                if status != 202:
                    time.sleep(0.02)  # as a phone would wait a moment before retrying

    @contextmanager
    def running(self, threads: int = 6) -> Iterator[Voters]:
        workers = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]
        for worker in workers:
            worker.start()
        try:
            yield self
        finally:
            self._stop.set()
            for worker in workers:
                worker.join(15)
