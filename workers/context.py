"""Per-process context of a worker: the settings it was started with.

The worker entry point calls :func:`configure` once; jobs (in the worker's process, or a
media job's forked work horse) read it through :func:`settings` and :func:`redis_client`.
"""

from __future__ import annotations

from functools import lru_cache

import redis

from duels.connection import connect, connect_queue
from duels.settings import Settings

_settings: Settings | None = None


def configure(settings: Settings) -> None:
    global _settings
    _settings = settings
    redis_client.cache_clear()
    queue_client.cache_clear()


def settings() -> Settings:
    if _settings is None:
        raise RuntimeError("workers.context.configure() was not called in this process")
    return _settings


@lru_cache(maxsize=1)
def redis_client() -> redis.Redis:
    """The store (a Redis Cluster client when ``redis_cluster`` is set)."""
    return connect(settings())


@lru_cache(maxsize=1)
def queue_client() -> redis.Redis:
    """The queue Redis (RQ's, and our flags about RQ jobs)."""
    return connect_queue(settings())
