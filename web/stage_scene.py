"""What a stage page shows for the competition's current scene (duels.show).

Both stage pages render the same partial (``stage/_scene.html``) from this context: the
public ``/stage/<cid>`` and the venue screen ``/screen/<key>``. Only public information:
counts come from the live board's read model, which zeroes hidden ones. The pages differ
in one thing, the voting scene's QR code (``QrFor``): the plain vote URL, or the rotating
presence code behind the screen key.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from duels import show, store
from duels.records import Duel
from voting import qr
from voting.admission import PRESENCE_PARAM
from voting.page import load_duel
from web import branding
from web.routes.live import live_board
from web.routes.vote import ingest_for


@dataclass(frozen=True, slots=True)
class Qr:
    path: str  # the SVG image
    url: str  # what it carries (shown as text for plain vote URLs)
    rotating: bool  # a venue duel's presence code (screen.js swaps it)


QrFor = Callable[[Duel], Qr]


def plain_qr(public_url: str) -> QrFor:
    def qr_for(duel: Duel) -> Qr:
        return Qr(f"/qr/duels/{duel.id}.svg", f"{public_url.rstrip('/')}/vote/{duel.id}", False)

    return qr_for


def screen_qr(request: Request, key: str) -> QrFor:
    """A running venue duel's rotating presence code (behind the screen key); else the
    plain vote URL."""
    public_url = request.app.state.settings.public_url
    plain = plain_qr(public_url)

    def qr_for(duel: Duel) -> Qr:
        if duel.admission != "venue" or duel.status != "voting":
            return plain(duel)
        token = ingest_for(request).admission.presence_token(duel.id, time.time())
        url = f"{qr.vote_url(public_url, duel.id)}?{PRESENCE_PARAM}={token.token}"
        return Qr(f"/screen/{key}/qr/{duel.id}.svg?slot={token.slot}", url, True)

    return qr_for


def stage_urls(base: str, legacy: bool = False) -> dict[str, Any]:
    return {"json": f"{base}/scene.json", "html": f"{base}/scene", "legacy": legacy}


async def screen_context(request: Request, cid: str, key: str) -> dict[str, Any]:
    """The scene part of ``screen.html``; ``legacy`` (its list of running duels) until
    the host picks a scene."""
    context = await scene_context(request, cid, screen_qr(request, key))
    context["stage"] = stage_urls(f"/screen/{key}", legacy=context["scene"].version == 0)
    context["remote"] = None
    return context


def _read(client: redis.Redis, cid: str, public_url: str) -> dict[str, Any]:
    scene = show.current(client, cid)
    board = live_board(client, cid, public_url)
    record = store.get_duel(client, scene.duel) if scene.duel else None
    competition = store.get_competition(client, cid)
    return {"scene": scene, "board": board, "record": record, "competition": competition}


async def scene_context(request: Request, cid: str, qr_for: QrFor) -> dict[str, Any]:
    """The partial's context: ``scene``, ``board``, ``duel`` (the board's view of the
    scene's duel), ``record``, ``intro`` (videos), ``qr``, ``winner``, ``brand``."""
    settings = request.app.state.settings
    found = await run_in_threadpool(_read, request.app.state.store, cid, settings.public_url)
    scene: show.Scene = found["scene"]
    record: Duel | None = found["record"]
    duel = _board_duel(found["board"], scene.duel)
    context: dict[str, Any] = {
        **found,
        "duel": duel,
        "intro": None,
        "qr": None,
        "winner": None,
        "brand": await branding.context_async(request, cid),
    }
    if scene.scene == "duel_intro" and record is not None:
        context["intro"] = await load_duel(request.app.state.redis, record.id)
    if scene.scene == "voting" and record is not None:
        context["qr"] = qr_for(record)
    if scene.scene == "winner" and duel is not None:
        context["winner"] = winner_side(duel)
    return context


def _board_duel(board: dict[str, Any], did: str) -> dict[str, Any] | None:
    if not did:
        return None
    for round_ in board["rounds"]:
        for duel in round_["duels"]:
            if duel["id"] == did:
                return duel  # type: ignore[no-any-return]
    return None


def winner_side(duel: dict[str, Any]) -> str:
    """ "home" or "away": the decided winner, else (closed, counts public) the leader;
    "" for a tie."""
    for side in ("home", "away"):
        team = duel[side]
        if team and duel["winner"] == team["id"]:
            return side
    if duel["winner"] or duel["counts_hidden"]:
        return ""
    home, away = duel["votes"]["home"], duel["votes"]["away"]
    return "home" if home > away else "away" if away > home else ""
