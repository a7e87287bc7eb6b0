"""QR codes of a duel's vote link and the printable poster for venues."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from duels import errors, keys
from voting import qr
from voting.page import DuelView, load_duel
from web import branding
from web.templating import render

router = APIRouter(tags=["audience"])

_CACHE = {"Cache-Control": "public, max-age=300"}


async def _require_duel(request: Request, did: str) -> None:
    if not await request.app.state.redis.exists(keys.duel(did)):
        raise errors.NotFound("There is no such duel.", code="unknown_duel")


@router.get(
    "/qr/duels/{did}.svg",
    summary="QR code (SVG) of the duel's absolute vote URL",
    response_class=Response,
    responses={200: {"content": {"image/svg+xml": {}}}},
)
async def qr_svg(did: str, request: Request) -> Response:
    return await _qr_image(request, did, qr.svg, "image/svg+xml")


@router.get(
    "/qr/duels/{did}.png",
    summary="QR code (PNG) of the duel's absolute vote URL",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}}},
)
async def qr_png(did: str, request: Request) -> Response:
    return await _qr_image(request, did, qr.png, "image/png")


async def _qr_image(
    request: Request, did: str, draw: Callable[[str], bytes], media_type: str
) -> Response:
    await _require_duel(request, did)
    content = qr.vote_url(request.app.state.settings.public_url, did)
    body = await run_in_threadpool(draw, content)
    return Response(body, media_type=media_type, headers=_CACHE)


@router.get("/poster/duels/{did}", include_in_schema=False)
async def poster(did: str, request: Request) -> Response:
    """A4 poster: big QR, both teams, trade/title, short URL (print from the browser)."""
    duel = await load_duel(request.app.state.redis, did)
    if duel is None:
        raise errors.NotFound("There is no such duel.", code="unknown_duel")
    public_url = request.app.state.settings.public_url
    venue = await _needs_screen(request.app.state.redis, duel)
    context = {"duel": duel, "short_url": qr.short_url(public_url, did), "venue": venue}
    context["brand"] = await branding.context_async(request, duel.competition)
    return render(request, "poster.html", context)


async def _needs_screen(client: Any, duel: DuelView) -> bool:
    """Venue admission: the poster's code only explains; voting needs the stage screen's."""
    if duel.status != "pending":
        return duel.admission == "venue"
    mode = duel.admission_choice or await client.hget(
        keys.competition(duel.competition), "admission"
    )
    return mode == "venue"
