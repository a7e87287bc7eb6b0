"""Queueing the media job of an upload, once, and again when its worker died.

The job id is derived from the upload's name, so a second enqueue of the same upload
finds the first. A worker killed mid-transcode leaves the record in ``processing``
with no progress written; every worker looks for such records and exactly one
(``videos.claim_stale``) queues the job again.
"""

from __future__ import annotations

import logging
import threading

import redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from duels import videos
from duels.connection import connect, connect_queue
from duels.settings import Settings
from workers import queues, transcode

log = logging.getLogger(__name__)

JOB = "workers.media.process_video"
PENDING = (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED)
# Probe, poster and queue hand-over on top of the transcode of the longest allowed video.
SLACK_SECONDS = 120


def job_id(file: str) -> str:
    return f"media-{file.rpartition('.')[0]}"


def job_timeout(settings: Settings) -> int:
    return int(SLACK_SECONDS + transcode.timeout_for(settings.max_video_seconds))


def _fetch(connection: redis.Redis, file: str) -> Job | None:
    try:
        return Job.fetch(job_id(file), connection=connection)
    except NoSuchJobError:
        return None


def enqueue(connection: redis.Redis, settings: Settings, video: videos.Video) -> bool:
    """Queue the upload's job unless it is already queued or running; True if queued."""
    job = _fetch(connection, video.file)
    if job is not None:
        if job.get_status(refresh=True) in PENDING:
            return False
        job.delete()
    Queue(queues.MEDIA, connection=connection).enqueue(
        JOB,
        video.duel,
        video.team,
        video.file,
        job_id=job_id(video.file),
        job_timeout=job_timeout(settings),
        failure_ttl=7 * 86400,
    )
    return True


def enqueue_upload(settings: Settings, video: videos.Video) -> None:
    connection = connect_queue(settings, decode=False)
    try:
        enqueue(connection, settings, video)
    finally:
        connection.close()


def requeue_lost(store: redis.Redis, connection: redis.Redis, settings: Settings) -> list[str]:
    """Queue again the uploads whose job is gone or whose worker died; their names."""
    again: list[str] = []
    for video in videos.unfinished_uploads(store):
        job = _fetch(connection, video.file)
        status = job.get_status(refresh=True) if job is not None else None
        if status == JobStatus.QUEUED:
            continue
        if video.status == "uploaded" and status in PENDING:
            continue
        if not videos.claim_stale(
            store, video.duel, video.team, video.file, settings.media_stale_seconds,
            statuses=("uploaded", "processing"),
        ):  # fmt: skip
            continue
        if job is not None:
            job.delete()
        enqueue(connection, settings, video)
        log.warning("media job of %s queued again (job was %s)", video.file, status)
        again.append(video.file)
    return again


def keep_recovering(settings: Settings, stop: threading.Event) -> None:
    """Thread body for the worker process: look for lost media jobs now and then."""
    store = connect(settings)
    connection = connect_queue(settings, decode=False)
    interval = max(1.0, settings.media_stale_seconds / 3)
    try:
        while True:
            try:
                requeue_lost(store, connection, settings)
            except (redis.exceptions.RedisError, OSError) as exc:
                log.warning("could not look for lost media jobs: %s", exc)
            if stop.wait(interval):
                return
    finally:
        connection.close()
        store.close()
