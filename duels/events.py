"""Live-update events of a competition.

Every change the live board should show (a tally, a duel opened or closed, an
advance) is appended to the competition's capped event log (a stream, so a
reconnecting SSE client can resume after its ``Last-Event-ID``) and announced on
the competition's pub/sub channel, which each web process subscribes to once.
"""

from __future__ import annotations

from typing import Any, cast

import orjson
import redis

from duels import keys

EVENT_LOG_LENGTH = 1000


def publish(
    client: redis.Redis,
    cid: str,
    kind: str,
    data: dict[str, Any],
    *,
    bus: redis.Redis | None = None,
) -> str:
    """Record and announce one event; returns its id (the stream entry id).

    The log lives in the store (``client``); the announcement goes to ``bus``, by default
    the bus the client carries (the queue Redis, when the store is a Redis Cluster: see
    :class:`duels.connection.StoreCluster`), else the client itself."""
    payload = orjson.dumps({"type": kind, **data}).decode()
    event_id = str(
        client.xadd(keys.event_log(cid), {"e": payload}, maxlen=EVENT_LOG_LENGTH, approximate=True)
    )
    announcer = bus if bus is not None else cast(redis.Redis, getattr(client, "event_bus", client))
    announcer.publish(keys.events_channel(cid), envelope(event_id, payload))
    return event_id


def envelope(event_id: str, payload: str) -> bytes:
    """What the pub/sub channel carries: the event's log id and its JSON."""
    return orjson.dumps({"id": event_id, "data": payload})
