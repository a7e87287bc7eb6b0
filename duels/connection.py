"""Redis clients built from settings, with short timeouts so a dead or slow
Redis turns into a quick 503 instead of a hang."""

from __future__ import annotations

import redis
import redis.asyncio as aioredis

from duels.settings import Settings


def _options(settings: Settings) -> dict[str, object]:
    return {
        "socket_timeout": settings.redis_timeout,
        "socket_connect_timeout": settings.redis_timeout,
        # A dropped connection is retried once on the next call, not in a loop.
        "retry_on_timeout": False,
        "health_check_interval": 10,
    }


def connect(settings: Settings, *, decode: bool = True) -> redis.Redis:
    """A blocking client; ``decode=False`` for RQ, which stores bytes."""
    assert settings.redis_url, "resolve the Redis URL before connecting"
    return redis.Redis.from_url(settings.redis_url, decode_responses=decode, **_options(settings))


def connect_async(settings: Settings, *, max_connections: int = 64) -> aioredis.Redis:
    assert settings.redis_url, "resolve the Redis URL before connecting"
    pool = aioredis.BlockingConnectionPool.from_url(
        settings.redis_url,
        decode_responses=True,
        max_connections=max_connections,
        timeout=settings.redis_timeout,
        **_options(settings),
    )
    return aioredis.Redis(connection_pool=pool)
