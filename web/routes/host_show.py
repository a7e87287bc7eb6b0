"""The show remote: the host drives the stage screens from a phone (duels.show).

``/host/c/<cid>/show`` has one big button per scene and a picker of the current round's
duels; every button is a CSRF form (works without JavaScript). The stage page opened by
a host posts the same form from its keyboard shortcuts (``stage.js``).
"""

from __future__ import annotations

from typing import Annotated, Any

import redis
from fastapi import APIRouter, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, Response

from duels import show, store, views
from web.deps import Runner
from web.routes.host_console import _act, _render_with_csrf

router = APIRouter(prefix="/host", include_in_schema=False)
Field = Annotated[str, Form()]


def remote_context(client: redis.Redis, cid: str) -> dict[str, Any]:
    """The competition, its current scene and the duels the picker offers (the current
    round's, byes left out), the scene's duel preselected."""
    view = views.bracket_view(client, cid)
    duels = [
        d
        for r in view["rounds"]
        if r["number"] == view["round"]
        for d in r["duels"]
        if d["id"] and d["away"]
    ]
    scene = show.current(client, cid)
    if scene.duel and not any(d["id"] == scene.duel for d in duels):
        duels += [d for r in view["rounds"] for d in r["duels"] if d["id"] == scene.duel]
    return {
        "competition": store.get_competition(client, cid),
        "scene": scene,
        "scenes": show.SCENES,
        "duel_scenes": show.DUEL_SCENES,
        "picker": duels,
        "champion": view["champion"],
    }


@router.get("/c/{cid}/show")
async def remote_page(request: Request, cid: str, by: Runner) -> HTMLResponse:
    context = await run_in_threadpool(remote_context, request.app.state.store, cid)
    return _render_with_csrf(request, "host/show.html", context)


@router.post("/c/{cid}/show")
def set_scene(
    request: Request, cid: str, csrf: Field, scene: Field, by: Runner, duel: Field = ""
) -> Response:
    return _act(
        request,
        csrf,
        f"/host/c/{cid}/show",
        lambda: show.set_scene(request.app.state.store, cid, scene, duel, actor=by.actor),
        "scene_set",
    )
