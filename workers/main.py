"""The worker entry point: one real RQ worker on our queues."""

from __future__ import annotations

import logging
import threading

from rq import Queue, Worker

from duels.connection import connect_queue
from duels.settings import Settings
from workers import context, media_jobs, queues, tally


def run_worker(settings: Settings, *, burst: bool = False, name: str | None = None) -> bool:
    """Serve jobs until SIGINT/SIGTERM (or, with ``burst``, until the queues are empty)."""
    context.configure(settings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(message)s")
    # RQ runs on the queue Redis (a plain one even when the store is a Redis Cluster).
    connection = connect_queue(settings, decode=False)
    # Blocking dequeue must outlive the short command timeout used elsewhere.
    connection.connection_pool.connection_kwargs["socket_timeout"] = None
    worker_queues = [Queue(name, connection=connection) for name in queues.ALL]
    worker = Worker(worker_queues, connection=connection, name=name)
    stop = threading.Event()
    if not burst:
        threading.Thread(
            target=media_jobs.keep_recovering, args=(settings, stop), name="media", daemon=True
        ).start()
        # Every worker tries; a Redis flag keeps exactly one sweep queued.
        threading.Thread(
            target=tally.keep_sweep_queued, args=(settings, stop), name="sweep", daemon=True
        ).start()
    try:
        # RQ logs every job at INFO; with a sweep every 2 s that drowns the rest.
        level = "INFO" if settings.worker_log_jobs else "WARNING"
        return bool(worker.work(burst=burst, with_scheduler=True, logging_level=level))
    finally:
        stop.set()
