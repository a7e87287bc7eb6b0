"""Redis clients built from settings, with short timeouts so a dead or slow
Redis turns into a quick 503 instead of a hang.

Two roles (README "Scaling"): the *store* (records, votes, event log) is
``redis_url`` — one plain Redis, or with ``redis_cluster`` a Redis Cluster; the
*queue* Redis (``queue_url``, default the store's URL) carries RQ and the pub/sub
announcements of live events, which need a plain Redis.
"""

from __future__ import annotations

from typing import cast

import redis
import redis.asyncio as aioredis
import redis.asyncio.cluster as aiocluster
from redis.cluster import RedisCluster

from duels.settings import Settings

# A cluster client opens connections per node on demand; more than this per node
# raises instead of waiting, so it is generous (the vote path batches anyway).
CLUSTER_CONNECTIONS_PER_NODE = 256


class StoreCluster(RedisCluster):
    """The store on a Redis Cluster, carrying the plain Redis its events are announced on
    (see :func:`duels.events.publish`)."""

    event_bus: redis.Redis

    def close(self) -> None:
        super().close()
        self.event_bus.close()


def _options(settings: Settings) -> dict[str, object]:
    return {
        "socket_timeout": settings.redis_timeout,
        "socket_connect_timeout": settings.redis_timeout,
        # A dropped connection is retried once on the next call, not in a loop.
        "retry_on_timeout": False,
        "health_check_interval": 10,
    }


def connect(settings: Settings, *, decode: bool = True) -> redis.Redis:
    """A blocking client of the store; ``decode=False`` for bytes.

    On a cluster it is a :class:`redis.cluster.RedisCluster` (typed as ``redis.Redis``:
    the same command API; pipelines must be ``transaction=False`` or one slot)."""
    assert settings.redis_url, "resolve the Redis URL before connecting"
    if not settings.redis_cluster:
        return redis.Redis.from_url(
            settings.redis_url, decode_responses=decode, **_options(settings)
        )
    cluster = cast(
        StoreCluster,
        StoreCluster.from_url(settings.redis_url, decode_responses=decode, **_options(settings)),
    )
    cluster.event_bus = connect_queue(settings, decode=decode)
    return cast(redis.Redis, cluster)


def connect_async(settings: Settings, *, max_connections: int = 64) -> aioredis.Redis:
    """The async client of the store (``redis.asyncio.cluster.RedisCluster`` on a cluster)."""
    assert settings.redis_url, "resolve the Redis URL before connecting"
    if settings.redis_cluster:
        cluster = aiocluster.RedisCluster.from_url(
            settings.redis_url,
            decode_responses=True,
            max_connections=max(max_connections, CLUSTER_CONNECTIONS_PER_NODE),
            socket_timeout=settings.redis_timeout,
            socket_connect_timeout=settings.redis_timeout,
            health_check_interval=10,
        )
        return cast(aioredis.Redis, cluster)
    return _async_client(settings.redis_url, settings, max_connections)


def connect_queue(settings: Settings, *, decode: bool = True) -> redis.Redis:
    """A blocking client of the queue Redis: RQ (``decode=False``), pub/sub, RQ's flags."""
    url = settings.queue_redis_url
    assert url, "resolve the Redis URL before connecting"
    return redis.Redis.from_url(url, decode_responses=decode, **_options(settings))


def connect_queue_async(settings: Settings, *, max_connections: int = 16) -> aioredis.Redis:
    """The async client of the queue Redis (the broadcaster's subscription)."""
    url = settings.queue_redis_url
    assert url, "resolve the Redis URL before connecting"
    return _async_client(url, settings, max_connections)


def _async_client(url: str, settings: Settings, max_connections: int) -> aioredis.Redis:
    pool = aioredis.BlockingConnectionPool.from_url(
        url,
        decode_responses=True,
        max_connections=max_connections,
        timeout=settings.redis_timeout,
        **_options(settings),
    )
    return aioredis.Redis(connection_pool=pool)
