"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
import redis.exceptions
from fastapi import FastAPI
from starlette.staticfiles import StaticFiles

from duels import organisations
from duels.connection import connect, connect_async, connect_queue_async
from duels.settings import Settings
from web import errors
from web.broadcast import SHUTDOWN_SECONDS, Broadcaster
from web.console_guard import ConsoleGuard
from web.event_stream import RawSend
from web.front_door import MachMal
from web.host_guard import HostGuard
from web.limits import BodyLimits
from web.proxies import ForwardedClient
from web.responses import JSONResponse
from web.routes import (
    brand,
    cards,
    codes,
    competitions,
    docs,
    embed,
    evidence,
    feed,
    host_account,
    host_admission,
    host_api,
    host_branding,
    host_codes,
    host_companies,
    host_console,
    host_embed,
    host_evidence,
    host_jury,
    host_members,
    host_profiles,
    host_results,
    host_screens,
    host_show,
    host_stages,
    host_standings,
    host_video_preview,
    live,
    ops,
    pages,
    places,
    portal,
    portal_figures,
    portal_profile,
    portal_profile_api,
    qr,
    reach,
    results,
    screens,
    stage,
    stage_show,
    verify,
    vote,
    vote_page,
)
from web.security import SecurityHeaders
from web.stream_slots import StreamSlots

_STATIC = Path(__file__).parent / "static"


def create_app(settings: Settings) -> FastAPI:
    """Build the app for ``settings`` (secrets and Redis URL already resolved)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.redis = connect_async(settings)
        # RQ and pub/sub: a client of its own only when that is another Redis.
        separate_queue = settings.redis_cluster or settings.queue_redis_url != settings.redis_url
        app.state.queue_redis = connect_queue_async(settings) if separate_queue else app.state.redis
        # Host actions and pages run in the thread pool on a blocking client.
        app.state.store = connect(settings)
        with contextlib.suppress(redis.exceptions.RedisError):
            # Stores from before organisations upgrade in place (also: machmal admin create).
            await anyio.to_thread.run_sync(organisations.upgrade, app.state.store)
        app.state.broadcaster = Broadcaster(
            app.state.redis,
            bus=app.state.queue_redis,
            queue_size=settings.sse_client_queue,
            tally_interval=settings.sse_tally_interval_seconds,
            tally_sends_per_second=settings.sse_tally_sends_per_second,
            heartbeat=settings.sse_heartbeat_seconds,
        )
        await app.state.broadcaster.start()
        try:
            yield
        finally:
            await app.state.broadcaster.stop()
            # Bounded like the broadcaster: closing a pool must not hold the shutdown.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(app.state.redis.aclose(), SHUTDOWN_SECONDS)
            if separate_queue:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(app.state.queue_redis.aclose(), SHUTDOWN_SECONDS)
            app.state.store.close()

    app = MachMal(
        title="Mach mal – duel engine",
        version="1",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        default_response_class=JSONResponse,
    )
    app.state.settings = settings
    app.state.stream_slots = StreamSlots(
        settings.sse_clients_per_address, settings.sse_clients_per_process
    )
    errors.install(app)
    # Console paths: the login first, whatever the ids (inside the body limits: a console
    # body is small and read whole, and an oversized one gets its 413 from anyone).
    app.add_middleware(ConsoleGuard)
    app.add_middleware(
        BodyLimits,
        max_bytes=settings.max_body_bytes,
        timeout=settings.body_timeout_seconds,
        max_depth=settings.max_json_depth,
    )
    app.add_middleware(HostGuard)  # before the body limits read a byte
    # The client's real address before anything (limits, routes) reads it.
    app.add_middleware(ForwardedClient, trusted=settings.trusted_proxies)
    app.add_middleware(SecurityHeaders)  # outermost: refusals carry the headers too
    app.add_middleware(RawSend)  # live streams write their events past the layers above
    app.mount("/static/swagger", StaticFiles(directory=_swagger_ui_path()), name="swagger")
    app.mount("/static", StaticFiles(directory=_STATIC), name="static")
    # vote first: routes are matched in order (the front door serves vote POSTs before them).
    for module in (
        vote,
        vote_page,
        ops,
        docs,
        pages,
        host_api,
        host_console,
        host_account,
        host_admission,
        host_evidence,
        evidence,
        feed,
        competitions,
        live,
        qr,
        cards,
        results,
        portal,
        portal_profile,
        portal_profile_api,
        host_profiles,
        verify,
        screens,
        host_screens,
        stage,
        codes,
        host_codes,
        host_video_preview,
        host_members,
        host_jury,
        host_companies,
        host_branding,
        host_results,
        host_stages,
        host_standings,
        brand,
        places,
        reach,
        portal_figures,
    ):
        app.include_router(module.router)
    app.include_router(host_show.router)
    app.include_router(stage_show.router)
    app.include_router(embed.router)
    app.include_router(host_embed.router)
    return app


def _swagger_ui_path() -> str:
    import swagger_ui_bundle  # type: ignore[import-untyped]

    path: str = swagger_ui_bundle.swagger_ui_path
    return path
