"""Per-process context of a worker: the settings it was started with.

The worker entry point calls :func:`configure` once; jobs (which run in forked
work-horses) read it through :func:`settings` and :func:`redis_client`.
"""

from __future__ import annotations

from functools import lru_cache

import redis

from duels.connection import connect
from duels.settings import Settings

_settings: Settings | None = None


def configure(settings: Settings) -> None:
    global _settings
    _settings = settings
    redis_client.cache_clear()


def settings() -> Settings:
    if _settings is None:
        raise RuntimeError("workers.context.configure() was not called in this process")
    return _settings


@lru_cache(maxsize=1)
def redis_client() -> redis.Redis:
    return connect(settings())
