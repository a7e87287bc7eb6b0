"""Small jobs that keep the plumbing honest."""

from __future__ import annotations

import time

from duels import keys
from workers import context


def heartbeat() -> float:
    """Record that a worker ran a job; ``/healthz`` and the tests read it."""
    now = time.time()
    context.redis_client().set(keys.HEARTBEAT, repr(now))
    return now
