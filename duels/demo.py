"""Seed data for ``machmal demo``."""

from __future__ import annotations

import redis

from duels import keys
from duels.settings import Settings


def seed_demo(client: redis.Redis, settings: Settings) -> dict[str, str]:
    client.sadd(keys.COMPETITIONS, "demo")
    client.hset(keys.competition("demo"), mapping={"id": "demo", "title": "Demo"})
    return {"id": "demo", "first_duel": "none"}
