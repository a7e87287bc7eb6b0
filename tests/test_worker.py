"""A real RQ worker process runs our jobs end to end."""

from __future__ import annotations

import redis
from rq import Queue
from rq.job import JobStatus

from duels import keys
from tests.support import Process, wait_for
from workers import jobs, queues


def test_worker_runs_the_heartbeat_job(
    worker: Process, rq_connection: redis.Redis, redis_client: redis.Redis
) -> None:
    job = Queue(queues.DEFAULT, connection=rq_connection).enqueue(jobs.heartbeat)
    wait_for(lambda: job.get_status(refresh=True) == JobStatus.FINISHED, timeout=15)
    recorded = float(redis_client.get(keys.HEARTBEAT) or 0)
    assert recorded > 0
    assert recorded == job.return_value()
