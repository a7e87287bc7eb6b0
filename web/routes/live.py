"""The live board: the SSE event stream and the board pages (normal and projector).

The page is rendered on the server with the current state (so it works without
JavaScript, refreshed by ``<noscript>`` meta refresh); ``live.js`` then keeps it
current from the event stream: tally events carry the counts and update the bars
in place, duel and bracket events make it refetch the board fragment.
"""

from __future__ import annotations

import re
from typing import Any

import redis
import redis.asyncio as aioredis
from fastapi import APIRouter, Header, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, Response

from bracket.placing import company_places
from duels import errors, keys, store, tournament, views
from duels.records import Duel, counts_public
from web import branding, link_preview, stage_board
from web.event_stream import EventStream
from web.routes.live_videos import duel_videos_page
from web.sse_frames import valid_event_id
from web.templating import render

router = APIRouter(tags=["audience"])

_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# Stages worth a label on the board; "main"/"winners"/"group" go without.
LABELLED_STAGES = ("losers", "grand_final", "reset", "third_place")


@router.get(
    "/api/competitions/{cid}/events",
    summary="Live updates (text/event-stream)",
    response_class=Response,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "Events `tally`, `duel`, `bracket`; `hello` on connect, "
            "`resync` when the client must refetch everything. `id` is the resume point "
            "(`Last-Event-ID` header, or `?last_event_id=` on the first connect).",
        },
        429: {
            "description": "This address holds `MACHMAL_SSE_CLIENTS_PER_ADDRESS` streams "
            "already (`live_streams_per_address`); `Retry-After` says when to try again."
        },
        503: {
            "description": "This web process holds `MACHMAL_SSE_CLIENTS_PER_PROCESS` "
            "streams (`live_streams_full`); `Retry-After` says when to try again."
        },
    },
)
async def events(
    cid: str,
    request: Request,
    last_event_id: str | None = Query(default=None, max_length=48),
    last_event_id_header: str | None = Header(default=None, alias="Last-Event-ID"),
) -> Response:
    await _require_competition(request.app.state.redis, cid)
    # Given back when the stream's response ends (EventStream), however it ends.
    slot = request.app.state.stream_slots.take(request.client.host if request.client else None)
    return EventStream(
        request.app.state.broadcaster,
        cid,
        # The header is the browser's own resume point and wins over the page's.
        valid_event_id(last_event_id_header) or valid_event_id(last_event_id),
        slot=slot,
    )


@router.get("/live/{cid}", include_in_schema=False)
async def live_page(cid: str, request: Request, mode: str = "", duel: str = "") -> HTMLResponse:
    if duel:  # one duel's two videos, big, side by side (the projector during a duel)
        return await duel_videos_page(request, cid, duel, mode == "projector")
    board = await run_in_threadpool(
        live_board, request.app.state.store, cid, request.app.state.settings.public_url
    )
    context = {**_context(board, mode), **link_preview.live_context(request, board)}
    context["brand"] = await branding.context_async(request, cid)
    return render(request, "live.html", context)


@router.get("/live/{cid}/board", include_in_schema=False)
def live_board_fragment(cid: str, request: Request, mode: str = "") -> HTMLResponse:
    """The board without the page around it, for ``live.js`` to swap in."""
    board = live_board(request.app.state.store, cid, request.app.state.settings.public_url)
    response = render(request, "live/_board.html", _context(board, mode))
    response.headers["Cache-Control"] = "no-store"
    return response


def _context(board: dict[str, Any], mode: str) -> dict[str, Any]:
    return {"board": board, "projector": mode == "projector"}


async def _require_competition(client: aioredis.Redis, cid: str) -> None:
    if not _ID.match(cid) or not await client.exists(keys.competition(cid)):
        raise errors.NotFound(f"Unknown competition {cid!r}.", code="unknown_competition")


# Reading the board -------------------------------------------------------------


def live_board(client: redis.Redis, cid: str, public_url: str) -> dict[str, Any]:
    """The lead's bracket view plus what the board shows on top: vote counts per
    duel, the running duels, a company leaderboard and the event-log position."""
    if not _ID.match(cid):
        raise errors.NotFound(f"Unknown competition {cid!r}.", code="unknown_competition")
    view = views.bracket_view(client, cid)
    records = {duel.id: duel for duel in store.duels_of_competition(client, cid)}
    pipe = client.pipeline(transaction=False)
    for did in records:
        pipe.hgetall(keys.official(did))
        pipe.hgetall(keys.provisional(did))
    pipe.xrevrange(keys.event_log(cid), count=1)
    answers = pipe.execute()
    latest = answers.pop()
    tallies = dict(zip(records, zip(answers[::2], answers[1::2], strict=True), strict=True))

    running = []
    for round_ in view["rounds"]:
        final = round_ is view["rounds"][-1] and len(round_["duels"]) == 1 and view["finished"]
        round_["final"] = final
        for duel in round_["duels"]:
            record = records.get(duel["id"] or "")
            official, provisional = tallies.get(duel["id"] or "", ({}, {}))
            show = record.show_results if record else True
            _add_votes(duel, official, provisional, show)
            if len(duel["legs"]) > 1:
                _sum_challenges(duel, records, tallies)
            duel["labelled_stage"] = duel["stage"] if duel["stage"] in LABELLED_STAGES else ""
            voting_legs = stage_board.decorate_duel(duel, records, public_url)
            if duel["status"] == "voting" and duel["id"]:
                duel["vote_url"] = f"{public_url}/vote/{duel['id']}"
                # Venue duels are voted through the stage screen's rotating code only.
                duel["venue"] = record is not None and record.admission == "venue"
                running.append(duel)
            elif voting_legs:  # a later challenge of a best-of-N duel is open
                running.append(duel)
    view["running"] = running
    stage_board.decorate(view)
    state = tournament.load_bracket(client, cid)
    places = company_places(state) if state else {}
    view["leaderboard"] = _leaderboard(store.list_companies(client, cid), view["rounds"], places)
    view["last_event_id"] = latest[0][0] if latest else "0-0"
    return view


def _sum_challenges(
    duel: dict[str, Any],
    records: dict[str, Duel],
    tallies: dict[str, tuple[dict[str, str], dict[str, str]]],
) -> None:
    """A best-of-N duel's card counts the votes of all its challenges; each challenge
    keeps its own counts, hidden as its own results mode says."""
    home, away, hidden = 0, 0, False
    for leg in duel["legs"]:
        record = records.get(leg["id"] or "")
        official, provisional = tallies.get(leg["id"] or "", ({}, {}))
        counted = {"status": leg["status"], "home": duel["home"], "away": duel["away"]}
        _add_votes(counted, official, provisional, record.show_results if record else True)
        leg["votes"], leg["counts_hidden"] = counted["votes"], counted["counts_hidden"]
        home, away = home + counted["votes"]["home"], away + counted["votes"]["away"]
        hidden = hidden or counted["counts_hidden"]
    total = home + away
    home_share = round(100 * home / total) if total else 0
    duel["counts_hidden"] = hidden
    duel["votes"] = {"home": 0, "away": 0} if hidden else {"home": home, "away": away}
    duel["share"] = {"home": home_share, "away": 100 - home_share if total else 0}
    if hidden:
        duel["share"] = {"home": 0, "away": 0}
    duel["bar"] = {side: 5 * round(duel["share"][side] / 5) for side in ("home", "away")}


def _add_votes(
    duel: dict[str, Any], official: dict[str, str], provisional: dict[str, str], show: bool
) -> None:
    """Running duels show provisional counts (official ones lag behind the
    tally); others their official counts. ``show_results`` off hides them until decided."""
    duel["counts_hidden"] = not counts_public(duel["status"], show)
    source = provisional if duel["status"] == "voting" or not official else official
    home = duel["home"]["id"] if duel["home"] else ""
    away = duel["away"]["id"] if duel["away"] else ""
    votes = {"home": _count(source, home), "away": _count(source, away)}
    if duel["counts_hidden"]:
        votes = {"home": 0, "away": 0}
    total = votes["home"] + votes["away"]
    home_share = round(100 * votes["home"] / total) if total else 0
    duel["votes"] = votes
    # No votes yet: both bars empty and 0 %, never a 50 : 50 nobody cast.
    duel["share"] = {"home": home_share, "away": 100 - home_share if total else 0}
    # CSP forbids style attributes: bars get a width class in 5 % steps (JS refines).
    duel["bar"] = {side: 5 * round(share / 5) for side, share in duel["share"].items()}


def _count(counts: dict[str, str], team_id: str) -> int:
    try:
        return int(counts.get(team_id, 0)) if team_id else 0
    except ValueError:
        return 0


def _leaderboard(
    companies: list[Any], rounds: list[dict[str, Any]], places: dict[str, int]
) -> list[dict[str, Any]]:
    """Companies by duels won, then the bracket result (the champion's company first, then
    the runner-up's, ...: bracket.placing), then votes; a bye is not a duel won."""
    rows = {c.id: {"id": c.id, "name": c.name, "wins": 0, "votes": 0} for c in companies}
    for round_ in rounds:
        for duel in round_["duels"]:
            for side in ("home", "away"):
                team = duel[side]
                if team is None or team["company_id"] not in rows:
                    continue
                row = rows[team["company_id"]]
                row["votes"] += duel["votes"][side]
                if duel["winner"] == team["id"] and duel["decided_by"] != "bye":
                    row["wins"] += 1
    last = 1 << 30
    return sorted(
        rows.values(),
        key=lambda r: (-r["wins"], places.get(r["id"], last), -r["votes"], r["name"].lower()),
    )
