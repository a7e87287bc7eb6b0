"""The worker entry point: one real RQ worker on our queues."""

from __future__ import annotations

import contextlib
import logging
import threading
import time

import redis
from rq import Queue, Worker
from rq.exceptions import StopRequested
from rq.job import Job
from rq.worker import WorkerStatus

from duels.connection import connect_queue
from duels.settings import Settings
from workers import context, media_jobs, queues, tally

RESTART_SECONDS = 2.0
log = logging.getLogger(__name__)


class EventWorker(Worker):
    """Runs tally and mail jobs in this process; only media jobs get a forked work horse.

    A fork per job cost ~10 ms of CPU and a fresh set of Redis connections for a tally
    that takes ~2 ms: on event day most of the workers' CPU went to forking (py-spy,
    docs/design.md "Performance"). Short jobs share this process's connections; the
    death penalty (SIGALRM) still bounds each one. A transcode keeps its own process,
    so a crash or a kill takes ffmpeg's job along, not the worker."""

    def execute_job(self, job: Job, queue: Queue) -> None:
        if queue.name == queues.MEDIA:
            super().execute_job(job, queue)
            return
        execution = self.prepare_execution(job)
        self.perform_job(job, queue, execution)
        self.set_state(WorkerStatus.IDLE)


def _stop_asked(worker: Worker) -> bool:
    """SIGINT/SIGTERM reached RQ's handler (it notes the time before anything else)."""
    return getattr(worker, "_shutdown_requested_date", None) is not None


def run_worker(settings: Settings, *, burst: bool = False, name: str | None = None) -> bool:
    """Serve jobs until SIGINT/SIGTERM (or, with ``burst``, until the queues are empty)."""
    context.configure(settings)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(message)s")
    # RQ runs on the queue Redis (a plain one even when the store is a Redis Cluster).
    connection = connect_queue(settings, decode=False)
    # Blocking dequeue must outlive the short command timeout used elsewhere.
    connection.connection_pool.connection_kwargs["socket_timeout"] = None
    worker_queues = [Queue(name, connection=connection) for name in queues.ALL]
    stop = threading.Event()
    if not burst:
        threading.Thread(
            target=media_jobs.keep_recovering, args=(settings, stop), name="media", daemon=True
        ).start()
        # Every worker tries; a Redis flag keeps exactly one sweep queued.
        threading.Thread(
            target=tally.keep_sweep_queued, args=(settings, stop), name="sweep", daemon=True
        ).start()
    # RQ logs every job at INFO; with a sweep every 2 s that drowns the rest.
    level = "INFO" if settings.worker_log_jobs else "WARNING"
    try:
        while True:
            worker = EventWorker(worker_queues, connection=connection, name=name)
            worked = False
            try:
                worked = bool(worker.work(burst=burst, with_scheduler=True, logging_level=level))
            except redis.exceptions.ConnectionError as exc:  # Redis gone while starting up
                log.warning("worker could not start: %s", exc)
            # RQ also leaves its loop on an error outside a job (a Redis restart caught
            # between two commands): only a signal, or burst, ends this process.
            if burst or _stop_asked(worker):
                return worked
            log.warning("worker loop ended on its own; restarting in %.0f s", RESTART_SECONDS)
            with contextlib.suppress(StopRequested, redis.exceptions.ConnectionError):
                time.sleep(RESTART_SECONDS)  # RQ's signal handlers are still installed
            if _stop_asked(worker):
                return worked
    finally:
        stop.set()
