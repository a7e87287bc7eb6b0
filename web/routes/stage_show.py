"""The stage pages that follow the show (duels.show): ``/stage/<cid>`` (public, read-only)
and the scene parts of the venue screen ``/screen/<key>`` (web/routes/stage.py).

Each page renders the current scene on the server; ``stage.js`` follows the competition's
event stream, asks ``scene.json`` for the scene on load and swaps in the ``scene``
fragment when the host picks another. A host who is logged in gets the remote's keyboard
shortcuts on ``/stage/<cid>`` too.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, Response

from duels import show
from duels.access import Permission
from web import host_session
from web.deps import may
from web.responses import JSONResponse
from web.routes.host_show import remote_context
from web.routes.live import _require_competition
from web.routes.stage import _running_or_404
from web.stage_scene import plain_qr, scene_context, screen_context, stage_urls
from web.templating import render

router = APIRouter(include_in_schema=False)

_NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


@router.get("/stage/{cid}")
async def stage_page(cid: str, request: Request) -> HTMLResponse:
    await _require_competition(request.app.state.redis, cid)
    context = await scene_context(request, cid, plain_qr(request.app.state.settings.public_url))
    context["stage"] = stage_urls(f"/stage/{cid}")
    context["remote"] = None
    if await run_in_threadpool(may, request, Permission.RUN):
        remote = await run_in_threadpool(remote_context, request.app.state.store, cid)
        context["remote"] = {**remote, "csrf": host_session.csrf_token(request)}
    response = render(request, "stage.html", context)
    if context["remote"]:
        host_session.csrf_token(request, response)
    response.headers.update(_NO_STORE)
    return response


@router.get("/stage/{cid}/scene")
async def stage_fragment(cid: str, request: Request) -> HTMLResponse:
    await _require_competition(request.app.state.redis, cid)
    context = await scene_context(request, cid, plain_qr(request.app.state.settings.public_url))
    return _fragment(request, context)


@router.get("/stage/{cid}/scene.json")
async def stage_scene(cid: str, request: Request) -> Response:
    """The current scene: ``{"scene", "duel", "version"}`` (public)."""
    await _require_competition(request.app.state.redis, cid)
    scene = await run_in_threadpool(show.current, request.app.state.store, cid)
    return JSONResponse(scene.public(), headers=_NO_STORE)


# The venue screen ----------------------------------------------------------------


@router.get("/screen/{key}/scene")
async def screen_fragment(key: str, request: Request) -> HTMLResponse:
    running = await _running_or_404(request, key)
    return _fragment(request, await screen_context(request, running.competition.id, key))


@router.get("/screen/{key}/scene.json")
async def screen_scene(key: str, request: Request) -> Response:
    running = await _running_or_404(request, key)
    scene = await run_in_threadpool(show.current, request.app.state.store, running.competition.id)
    return JSONResponse(scene.public(), headers=_NO_STORE)


def _fragment(request: Request, context: dict[str, Any]) -> HTMLResponse:
    response = render(request, "stage/_scene.html", context)
    response.headers.update(_NO_STORE)
    return response
