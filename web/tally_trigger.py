"""Queue the tally of a duel when a vote made it newly pending, off the request path.

At most one job per duel is queued: the ingest script sets the duel's tally-pending flag
for one vote only, and the job clears it when it starts, so a vote arriving mid-job queues
the next one at once. Two jobs of one duel may overlap; the tally counts each vote once
regardless. A failed enqueue is caught up by the tally sweep, so the vote's 202 never waits.
"""

from __future__ import annotations

import asyncio
import logging

import redis
from rq import Queue
from starlette.concurrency import run_in_threadpool

from duels.connection import connect_queue
from duels.settings import Settings
from workers import queues
from workers.tally import tally_duel

log = logging.getLogger(__name__)


class TallyTrigger:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._queue: Queue | None = None
        self._jobs: set[asyncio.Task[None]] = set()

    def request(self, did: str) -> None:
        task = asyncio.ensure_future(run_in_threadpool(self._enqueue, did))
        self._jobs.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._jobs.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("could not enqueue the tally job: %s", task.exception())

    def _enqueue(self, did: str) -> None:
        if self._queue is None:
            connection = connect_queue(self.settings, decode=False)
            self._queue = Queue(queues.TALLY, connection=connection)
        try:
            self._queue.enqueue(tally_duel, did, result_ttl=0, failure_ttl=60)
        except redis.RedisError as exc:
            log.warning("tally enqueue for %s failed: %s", did, exc)
