"""Helpers of the fault tests: voters that remember what the server answered them."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx

from voting.tokens import VOTER_COOKIE, VoteSecrets, new_voter_id


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
