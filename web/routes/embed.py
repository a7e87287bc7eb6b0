"""The live board for other websites' iframes: ``/embed/{cid}`` (bracket and leaderboard,
compact), ``/embed/{cid}?view=standings`` (a competition in stages: its group tables or
Swiss standings, who goes on) and ``/embed/{cid}?view=duel&duel=<did>`` (one duel, its
vote button opening the vote page in a new tab: nobody votes inside a frame).

The page is the live board's (live.js, event_stream.js; the fragment
``/embed/{cid}/board`` for its refetches) without the site's header and footer. Only
this page may be framed, by the competition's allowed origins (duels.embedding) and this
site; every other page keeps ``frame-ancestors 'none'`` (web.security)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import redis
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse

from duels import embedding, errors, keys
from web import branding
from web.routes.live import live_board
from web.security import frameable_by
from web.templating import render

router = APIRouter(include_in_schema=False)

_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@router.get("/embed/{cid}")
async def embed_page(
    cid: str, request: Request, view: str = "board", duel: str = ""
) -> HTMLResponse:
    try:
        context, origins = await run_in_threadpool(_load, request, cid, view, duel, True)
    except errors.NotFound:
        response = render(request, "embed.html", {"board": None}, status_code=404)
        response.headers["Cache-Control"] = "no-store"
        return response
    context["brand"] = await branding.context_async(request, cid)
    response = render(request, "embed.html", context)
    frameable_by(response, origins)
    # The frame-ancestors follow the console at once: no cached copy with old origins.
    response.headers["Cache-Control"] = "no-cache"
    return response


@router.get("/embed/{cid}/board")
def embed_fragment(cid: str, request: Request, view: str = "board", duel: str = "") -> HTMLResponse:
    """The embedded board without the page around it, for ``live.js`` to swap in."""
    context, _ = _load(request, cid, view, duel, False)
    response = render(request, "embed/_board.html", context)
    response.headers["Cache-Control"] = "no-store"
    return response


def _load(
    request: Request, cid: str, view: str, did: str, with_origins: bool
) -> tuple[dict[str, Any], list[str]]:
    client: redis.Redis = request.app.state.store
    if not _ID.match(cid) or not client.exists(keys.competition(cid)):
        raise errors.NotFound(f"Unknown competition {cid!r}.", code="unknown_competition")
    board = live_board(client, cid, request.app.state.settings.public_url)
    context: dict[str, Any] = {"board": board, "view": "board", "duel": None}
    if view == "duel":
        context.update(view="duel", duel=_duel_of(board, did))
    elif view == "standings":  # group tables or Swiss standings (web/stage_board.py)
        context["view"] = "standings"
    query = {"view": context["view"], **({"duel": did} if context["duel"] else {})}
    context["fragment"] = f"/embed/{cid}/board?{urlencode(query)}"
    origins = embedding.allowed_origins(client, cid) if with_origins else []
    return context, origins


def _duel_of(board: dict[str, Any], did: str) -> dict[str, Any]:
    for round_ in board["rounds"]:
        for duel in round_["duels"]:
            if did and duel["id"] == did:
                found: dict[str, Any] = duel
                return found
    raise errors.NotFound(f"Unknown duel {did!r}.", code="unknown_duel")
