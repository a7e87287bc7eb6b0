"""Reach figures without tracking (voting.reach): the vote page's video beacons and the
``/go`` redirect to a stored apprenticeship place, each counted once per voter and day."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from duels import apprenticeships, errors, keys
from voting import reach
from voting.tokens import VOTER_COOKIE
from web.audience import client_ip
from web.routes.vote import ingest_for
from web.templating import render

router = APIRouter()

MAX_BODY_BYTES = 256
MAX_ID_CHARS = 64

_BEACON_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": ["event", "team"],
                    "properties": {
                        "event": {"type": "string", "enum": list(reach.EVENTS)},
                        "team": {"type": "string", "maxLength": MAX_ID_CHARS},
                    },
                },
                "example": {"event": "play", "team": "tK3m9QxPz"},
            }
        },
    },
    "responses": {
        "204": {"description": "Taken (counted, or already counted today, or not counted)."},
        "401": {"description": "No voter cookie (`voter_token_missing`)."},
        "403": {"description": "Forged cookie or another site's page (`cross_origin`)."},
        "404": {"description": "Unknown duel (`unknown_duel`)."},
        "422": {"description": "`reach_event_invalid`, `team_not_in_duel`, `invalid_body`."},
    },
}


def _counter(request: Request) -> reach.ReachCounter:
    """The process' reach counter, built on first use against the app's Redis client."""
    state = request.app.state
    counter: reach.ReachCounter | None = getattr(state, "reach_counter", None)
    if counter is None or counter.client is not state.redis:
        counter = reach.ReachCounter(state.redis, timeout=state.settings.redis_timeout * 2)
        state.reach_counter = counter
    return counter


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _same_origin(request: Request) -> bool:
    """The beacon comes from one of our own pages: its Origin (sent with every POST by
    browsers), where present, is ours; a browser's Sec-Fetch-Site, where present, agrees."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    own = {_origin(str(request.base_url)), _origin(request.app.state.settings.public_url)}
    return origin.lower() in own


def _invalid_body(message: str) -> errors.Invalid:
    return errors.Invalid(message, code="invalid_body")


def _parse(raw: bytes) -> tuple[str, str]:
    if len(raw) > MAX_BODY_BYTES:
        raise _invalid_body("The body is too large.")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise _invalid_body("The body is not JSON.") from exc
    if not isinstance(body, dict) or set(body) - {"event", "team"}:
        raise _invalid_body('Send {"event": "play" or "end", "team": "<team id>"}.')
    event, team = body.get("event"), body.get("team")
    if event not in reach.EVENTS:
        raise errors.Invalid('event is "play" or "end".', code="reach_event_invalid")
    if not isinstance(team, str) or not 0 < len(team) <= MAX_ID_CHARS:
        raise errors.Invalid("This team is not in the duel.", code="team_not_in_duel")
    return str(event), team


@router.post(
    "/api/duels/{did}/reach", tags=["audience"], status_code=204,
    summary="A video of the vote page was played or watched to the end",
    description=(
        "Sent by the vote page's own script (`navigator.sendBeacon`) at most once per page "
        "view and video: `play` when the team's video starts, `end` when it was watched to "
        "the end. Counted once per voter (the voter cookie of the vote page) and day in "
        "aggregated counters only; link previews and crawlers are not counted. Same-origin "
        "only. The body may be sent as `text/plain` (what a beacon sends)."
    ),
    openapi_extra=_BEACON_DOC,
)  # fmt: skip
async def video_beacon(did: str, request: Request) -> Response:
    if not _same_origin(request):
        raise errors.Forbidden("Only the vote page may send this.", code="cross_origin")
    ingest = ingest_for(request)
    voter_id = ingest.secrets.voter_from_cookie(request.cookies.get(VOTER_COOKIE))
    event, team = _parse(await request.body())
    if not reach.is_bot(request.headers.get("user-agent", "")):
        await _counter(request).video(did[:MAX_ID_CHARS], team, event, voter_id, reach.today())
    return Response(status_code=204, headers={"Cache-Control": "no-store"})


def _missing(request: Request) -> Response:
    response = render(request, "go_missing.html", {}, status_code=404)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


@router.get("/go/{cid}/{place_id}", include_in_schema=False)
async def go(cid: str, place_id: str, request: Request) -> Response:
    """302 to the stored place's application link (or its ``mailto:``), never to anything
    the request names; counts the click once per voter (or address + user agent) and day."""
    try:
        place, _ = await run_in_threadpool(
            apprenticeships.find_place, request.app.state.store, cid[:MAX_ID_CHARS],
            place_id[:MAX_ID_CHARS],
        )  # fmt: skip
    except errors.NotFound:
        return _missing(request)
    if place.apply_url:
        target = place.apply_url
    elif place.apply_email:
        target = f"mailto:{place.apply_email}"
    else:
        return _missing(request)
    agent = request.headers.get("user-agent", "")[: reach.MAX_AGENT_CHARS]
    if not reach.is_bot(agent):
        await _count_click(request, cid, place, agent)
    response = RedirectResponse(target, status_code=302)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex"
    return response


async def _count_click(
    request: Request, cid: str, place: apprenticeships.Place, agent: str
) -> None:
    secrets = ingest_for(request).secrets
    voter_id = secrets.valid_voter_cookie(request.cookies.get(VOTER_COOKIE))
    visitor = "" if voter_id else secrets.keyed_hash("go", f"{client_ip(request)}\x00{agent}")
    from_duel = request.query_params.get("d", "")[:MAX_ID_CHARS]
    if from_duel:
        # Only a duel of this competition; any other value is ignored, never followed.
        competition = await request.app.state.redis.hget(keys.duel(from_duel), "competition")
        if competition is None or reach_text(competition) != cid:
            from_duel = ""
    member = reach.click_member(place.id, voter_id, visitor)
    await _counter(request).click(cid, place.company_id, place.id, member, reach.today(), from_duel)


def reach_text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
