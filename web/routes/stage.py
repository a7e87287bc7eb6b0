"""The stage screen of the venue admission mode: ``/screen/<key>`` shows, full screen on
a projector, the running duels of the key's competition, each with a QR code. For a
venue duel the code carries the current rotating presence token; it exists only here,
behind the screen key (never on the live board or posters). ``screen.js`` keeps the
codes current from ``codes.json``; without JavaScript the page refreshes itself."""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from duels import errors, screens, store
from duels.records import Competition, Duel
from voting import qr
from voting.admission import PRESENCE_PARAM, AdmissionSecrets
from web import branding
from web.responses import JSONResponse
from web.routes.vote import ingest_for
from web.stage_scene import screen_context
from web.templating import render

router = APIRouter(include_in_schema=False)

_NO_STORE = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}


@dataclass(frozen=True, slots=True)
class ShownDuel:
    duel: str
    home: str
    away: str
    trade: str
    admission: str
    url: str
    qr_svg_path: str


@dataclass(frozen=True, slots=True)
class Running:
    """What the screen knows before the codes: its competition and the running duels."""

    competition: Competition
    screen: screens.Screen
    duels: list[Duel]  # running, in bracket order


def _load(request: Request, key: str) -> Running | None:
    client = request.app.state.store
    found = screens.screen_for_key(client, key)
    if found is None:
        return None
    cid, screen = found
    running = sorted(
        (d for d in store.duels_of_competition(client, cid) if d.status == "voting" and d.away),
        key=lambda d: (d.round, d.match),
    )
    return Running(store.get_competition(client, cid), screen, running)


def _shown(
    running: Running, key: str, public_url: str, presence: AdmissionSecrets, now: float
) -> list[ShownDuel]:
    shown = []
    for duel in running.duels:
        if duel.admission == "venue":
            token = presence.presence_token(duel.id, now)
            url = presence_url(public_url, duel.id, token.token)
            path = f"/screen/{key}/qr/{duel.id}.svg?slot={token.slot}"
        else:
            url, path = qr.vote_url(public_url, duel.id), f"/qr/duels/{duel.id}.svg"
        home, away = duel.home_name or duel.home, duel.away_name or duel.away
        mode = duel.admission or "open"
        shown.append(ShownDuel(duel.id, home, away, duel.title or duel.trade, mode, url, path))
    return shown


def presence_url(public_url: str, did: str, token: str) -> str:
    return f"{qr.vote_url(public_url, did)}?{PRESENCE_PARAM}={token}"


async def _running_or_404(request: Request, key: str) -> Running:
    running = await run_in_threadpool(_load, request, key)
    if running is None:
        # Unknown and revoked keys answer alike.
        raise errors.NotFound("There is no such screen.", code="unknown_screen")
    return running


def _signature(duels: list[ShownDuel]) -> str:
    """The duel set as ``screen.js`` compares it (a change reloads the page)."""
    return " ".join(f"{d.duel}:{d.admission}" for d in duels)


@router.get("/screen/{key}")
async def screen_page(key: str, request: Request) -> Response:
    running = await run_in_threadpool(_load, request, key)
    if running is None:
        missing = render(request, "screen.html", {"running": None}, status_code=404)
        missing.headers.update(_NO_STORE)
        return missing
    settings = request.app.state.settings
    presence = ingest_for(request).admission
    now = time.time()
    duels = _shown(running, key, settings.public_url, presence, now)
    next_in = presence.seconds_to_next(now)
    context = {
        "running": running,
        "duels": duels,
        "key": key,
        "signature": _signature(duels),
        "rotate_seconds": presence.rotate_seconds,
        "next_in": round(next_in, 2),
        # Without JavaScript: reload right after the code changes.
        "refresh": max(1, math.ceil(next_in)),
        "brand": await branding.context_async(request, running.competition.id),
    }
    # The show's scenes (duels.show), once the host picked one; until then the duel list.
    context.update(await screen_context(request, running.competition.id, key))
    response = render(request, "screen.html", context)
    response.headers.update(_NO_STORE)
    return response


@router.get("/screen/{key}/codes.json")
async def screen_codes(key: str, request: Request) -> Response:
    running = await _running_or_404(request, key)
    presence = ingest_for(request).admission
    now = time.time()
    duels = _shown(running, key, request.app.state.settings.public_url, presence, now)
    body: dict[str, Any] = {
        "rotate_seconds": presence.rotate_seconds,
        "next_in": round(presence.seconds_to_next(now), 2),
        "duels": [asdict(duel) for duel in duels],
    }
    return JSONResponse(body, headers=_NO_STORE)


@router.get("/screen/{key}/qr/{did}.svg")
async def screen_qr(key: str, did: str, request: Request) -> Response:
    """The current rotating code of one venue duel (``slot`` only defeats caches)."""
    running = await _running_or_404(request, key)
    if not any(d.id == did and d.admission == "venue" for d in running.duels):
        raise errors.NotFound("This duel is not open for venue voting.", code="unknown_duel")
    token = ingest_for(request).admission.presence_token(did)
    url = presence_url(request.app.state.settings.public_url, did, token.token)
    body = await run_in_threadpool(qr.svg, url)
    return Response(body, media_type="image/svg+xml", headers=_NO_STORE)
