"""Operations: health and metrics."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
import redis.exceptions
from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from web import metrics
from web.responses import JSONResponse
from workers import queues

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="200 when web and Redis answer, 503 otherwise")
async def healthz(request: Request) -> Response:
    client: aioredis.Redis = request.app.state.redis
    try:
        await asyncio.wait_for(client.ping(), timeout=request.app.state.settings.redis_timeout)
    except (TimeoutError, redis.exceptions.RedisError, OSError):
        metrics.redis_up.set(0)
        body = {"status": "unavailable", "redis": "down"}
        return JSONResponse(body, status_code=503, headers={"Retry-After": "1"})
    metrics.redis_up.set(1)
    return JSONResponse({"status": "ok", "redis": "up"})


@router.get("/metrics", summary="Prometheus text format")
async def prometheus(request: Request) -> Response:
    client: aioredis.Redis = request.app.state.queue_redis  # RQ's Redis
    try:
        async with client.pipeline(transaction=False) as pipe:
            for name in queues.ALL:
                pipe.llen(f"rq:queue:{name}")
            depths = await pipe.execute()
        for name, depth in zip(queues.ALL, depths, strict=True):
            metrics.queue_depth.labels(queue=name).set(depth)
    except (redis.exceptions.RedisError, OSError):
        metrics.redis_up.set(0)
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)
