"""Live-update events of a competition.

Every change the live board should show (a tally, a duel opened or closed, an
advance) is appended to the competition's capped event log (a stream, so a
reconnecting SSE client can resume after its ``Last-Event-ID``) and announced on
the competition's pub/sub channel, which each web process subscribes to once.
"""

from __future__ import annotations

from typing import Any

import orjson
import redis

from duels import keys

EVENT_LOG_LENGTH = 1000


def publish(client: redis.Redis, cid: str, kind: str, data: dict[str, Any]) -> str:
    """Record and announce one event; returns its id (the stream entry id)."""
    payload = orjson.dumps({"type": kind, **data}).decode()
    event_id = str(
        client.xadd(keys.event_log(cid), {"e": payload}, maxlen=EVENT_LOG_LENGTH, approximate=True)
    )
    client.publish(keys.events_channel(cid), orjson.dumps({"id": event_id, "data": payload}))
    return event_id
