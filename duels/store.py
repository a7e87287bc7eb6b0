"""Competition records in Redis (placeholder until the host flows land)."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

from duels import keys


async def list_competitions(client: aioredis.Redis) -> list[dict[str, Any]]:
    ids = sorted(str(cid) for cid in await client.smembers(keys.COMPETITIONS))
    if not ids:
        return []
    async with client.pipeline(transaction=False) as pipe:
        for cid in ids:
            pipe.hgetall(keys.competition(cid))
        records = await pipe.execute()
    return [record for record in records if record]
