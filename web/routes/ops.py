"""Operations: health and metrics.

``/metrics`` tells queue depths and vote counts: with ``MACHMAL_METRICS_TOKEN`` set it asks
for ``Authorization: Bearer <token>`` (401 otherwise); unset, it answers loopback clients
only (403 for others; behind a trusted proxy the forwarded address is the client).
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress

import redis.asyncio as aioredis
import redis.exceptions
from fastapi import APIRouter, Request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from web import metrics
from web.errors import error_body
from web.responses import JSONResponse
from web.security import bearer_token
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


@router.get(
    "/metrics",
    summary="Prometheus text format",
    description="With MACHMAL_METRICS_TOKEN set: `Authorization: Bearer <token>`, else 401 "
    "`metrics_token_required`. Unset: loopback clients only, else 403 `metrics_local_only`.",
)
async def prometheus(request: Request) -> Response:
    refusal = _refusal(request)
    if refusal is not None:
        return refusal
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


def _refusal(request: Request) -> Response | None:
    token = request.app.state.settings.metrics_token
    if token is not None:
        given = bearer_token(request) or ""
        if hmac.compare_digest(given.encode(), token.get_secret_value().encode()):
            return None
        body = error_body("metrics_token_required", "/metrics needs its bearer token.")
        return JSONResponse(body, status_code=401, headers={"WWW-Authenticate": "Bearer"})
    if _is_loopback(request.client.host if request.client else ""):
        return None
    body = error_body("metrics_local_only", "/metrics answers local clients only.")
    return JSONResponse(body, status_code=403)


def _is_loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False  # "testclient", a unix socket: not a loopback address
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback
