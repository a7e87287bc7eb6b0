"""The public JSON feed of a competition (#18): everything a website needs to render its
own board, in one cacheable answer.

It is the live board's read model (``web.routes.live.live_board``: the bracket, the
counts each duel may show, the company ranking, the vote links), cut down to a whitelist
of public fields, plus the branding essentials and absolute links. A duel whose counts
are hidden (``duels.records.counts_public``) carries ``counts: null``, and its votes are
in no ranking row, exactly as on the live board. The answer is the same for every caller
(no token, cookie or language changes it), so any site may read it (CORS ``*``) and any
cache may keep it.
"""

from __future__ import annotations

from typing import Any

import redis
from fastapi import APIRouter, Request
from starlette.responses import Response

from duels import branding
from web import open_data
from web.routes.live import live_board

router = APIRouter(tags=["audience"])

# max-age=5 rather than no-cache: the feed is the same for everyone, so the visitors'
# browsers and a CDN in front of an embedding site may answer repeated polls themselves
# for a few seconds (the no-JS live board refreshes no faster); after that the ETag makes
# the check a bodiless 304. A hidden duel's reveal or a new count is at most 5 s late.
CACHE_CONTROL = "public, max-age=5"

_EXAMPLE: dict[str, Any] = {
    "competition": {
        "id": "c7k2m9x4p",
        "title": "Azubi-Duell 2026",
        "status": "running",
        "format": "single_elimination",
        "round": 1,
        "finished": False,
        "champion": None,
    },
    "brand": {
        "name": "Azubi-Duell 2026",
        "region": "Ostwestfalen",
        "primary": "#1d4ed8",
        "accent": "#b91c1c",
        "logo": "https://duell.example.org/brand/c7k2m9x4p/logo.png?v=3",
        "sponsors": [
            {
                "name": "Sparkasse",
                "link": "https://sparkasse.example",
                "logo": "https://duell.example.org/brand/c7k2m9x4p/sponsor/0.png?v=3",
            }
        ],
    },
    "rounds": [
        {
            "number": 1,
            "final": False,
            "duels": [
                {
                    "id": "d4hq8w2mz",
                    "match": "r1m1",
                    "stage": "main",
                    "round": 1,
                    "status": "voting",
                    "trade": "Koch/Köchin",
                    "title": "Das perfekte Omelett",
                    "admission": "open",
                    "home": {"id": "t1", "name": "Küchenteam", "company_id": "f1",
                             "company": "Hotel Linde"},
                    "away": {"id": "t2", "name": "Die Pfannen", "company_id": "f2",
                             "company": "Gasthof Krone"},
                    "winner": None,
                    "decided_by": None,
                    "counts": {"home": 41, "away": 37},
                    "share": {"home": 53, "away": 47},
                    "vote_url": "https://duell.example.org/vote/d4hq8w2mz",
                },
                {
                    "id": "d9tb3n6kr",
                    "match": "r1m2",
                    "stage": "main",
                    "round": 1,
                    "status": "voting",
                    "trade": "Elektroniker/in",
                    "title": "",
                    "admission": "venue",
                    "home": {"id": "t3", "name": "Strom-Azubis", "company_id": "f3",
                             "company": "Stadtwerke"},
                    "away": {"id": "t4", "name": "Kabelsalat", "company_id": "f4",
                             "company": "Elektro Meier"},
                    "winner": None,
                    "decided_by": None,
                    "counts": None,
                    "share": None,
                    "vote_url": "https://duell.example.org/vote/d9tb3n6kr",
                },
            ],
        }
    ],
    "leaderboard": [
        {"position": 1, "company_id": "f1", "name": "Hotel Linde", "wins": 0, "votes": 41},
        {"position": 2, "company_id": "f2", "name": "Gasthof Krone", "wins": 0, "votes": 37},
    ],
    "links": {
        "live": "https://duell.example.org/live/c7k2m9x4p",
        "projector": "https://duell.example.org/live/c7k2m9x4p?mode=projector",
        "events": "https://duell.example.org/api/competitions/c7k2m9x4p/events",
        "feed": "https://duell.example.org/api/competitions/c7k2m9x4p/feed",
    },
}  # fmt: skip


@router.get(
    "/api/competitions/{cid}/feed",
    summary="Public feed of a competition, for sites that render their own board",
    description=(
        "One read-only answer with the competition (`status`: `draft` before the draw, "
        "`running`, `finished`), its branding essentials (`brand`, null when none is set; "
        "logo URLs are versioned), the bracket (rounds with their duels: teams with their "
        "companies, status, winner, `counts` and `share` per side, and `vote_url` while a "
        "duel is voting, and its `challenges` (one, or several in a best-of-N duel, each "
        "voted on its own); in `venue` mode phones vote through the stage screen's code, "
        "which the vote page explains), the company ranking and absolute links to the live "
        "board and the event stream. Running duels show provisional counts, others their "
        "official ones, as the live board does. A duel that hides running results has "
        "`counts` and `share` null until it is decided, and its votes are in no ranking "
        "row. A competition in stages adds `stage` (which stage runs, whether it is over), "
        "`groups` (each group's table: rank, team, played, wins, losses, points, votes for "
        "and against), `swiss` (the Swiss standings) and `qualification` (once a stage is "
        "over: who goes on with seed and reason, who is out, the next stage's first round)."
        + open_data.description(CACHE_CONTROL)
    ),
    response_class=Response,
    responses=open_data.responses(_EXAMPLE),
)
async def get_feed(cid: str, request: Request) -> Response:
    return await open_data.answer(request, competition_feed, cid, CACHE_CONTROL)


# The read model ------------------------------------------------------------------------


def competition_feed(client: redis.Redis, cid: str, public_url: str) -> dict[str, Any]:
    board = live_board(client, cid, public_url)
    base = public_url.rstrip("/")
    rounds = [
        {
            "number": round_["number"],
            "final": round_["final"],
            "duels": [_duel(duel) for duel in round_["duels"]],
        }
        for round_ in board["rounds"]
    ]
    feed: dict[str, Any] = {
        "competition": {
            "id": cid,
            "title": board["competition"]["title"],
            "status": _status(board),
            "format": board["format"],
            "round": board["round"],
            "finished": board["finished"],
            "champion": _team(board["champion"]),
        },
        "brand": _brand(client, cid, board["competition"]["title"], base),
        "rounds": rounds,
        "leaderboard": _ranked(board["leaderboard"]),
        "links": {
            "live": f"{base}/live/{cid}",
            "projector": f"{base}/live/{cid}?mode=projector",
            "events": f"{base}/api/competitions/{cid}/events",
            "feed": f"{base}/api/competitions/{cid}/feed",
        },
    }
    if "standings" in board:  # round robin: from decided duels only, so always public
        feed["standings"] = [{**row, "team": _team(row["team"])} for row in board["standings"]]
    if board.get("stage"):  # tables count decided duels only, so they are public too
        feed["stage"] = board["stage"]
        feed["groups"] = [
            {"name": group["name"], "rows": [_row(row) for row in group["rows"]]}
            for group in board["groups"]
        ]
        feed["swiss"] = [_row(row) for row in board["swiss"]]
        feed["qualification"] = _qualification(board["qualification"])
    return feed


def _row(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "team": _team(row["team"])}


def _qualification(found: dict[str, Any] | None) -> dict[str, Any] | None:
    """Who goes on and why (the engine's words, English, with team names)."""
    if found is None:
        return None

    def entry(item: dict[str, Any]) -> dict[str, Any]:
        kept: dict[str, Any] = {
            k: item[k] for k in ("seed", "group", "rank", "reason") if k in item
        }
        return {**kept, "team": _team(item["team"])}

    return {
        "qualified": [entry(item) for item in found["qualified"]],
        "eliminated": [entry(item) for item in found["eliminated"]],
        "first_round": [
            {"home": _team(pair["home"]), "away": _team(pair["away"])}
            for pair in found["first_round"]
        ],
    }


def _status(board: dict[str, Any]) -> str:
    if board["finished"]:
        return "finished"
    return "running" if board["rounds"] else "draft"


def _team(team: dict[str, Any] | None) -> dict[str, Any] | None:
    if team is None:
        return None
    return {key: team[key] for key in ("id", "name", "company_id", "company")}


def _duel(duel: dict[str, Any]) -> dict[str, Any]:
    """A whitelist of the board's duel: no jury scores, no held-back votes, and no counts
    where ``counts_public`` says no (the board has zeroed them; here they are null)."""
    hidden = duel["counts_hidden"]
    return {
        "id": duel["id"],
        "match": duel["match"],
        "stage": duel["stage"],
        "round": duel["round"],
        "status": duel["status"],
        "trade": duel["trade"],
        "title": duel["title"],
        "admission": duel["admission"] or None,
        "home": _team(duel["home"]),
        "away": _team(duel["away"]),
        "winner": duel["winner"],
        "decided_by": duel["decided_by"],
        "counts": None if hidden else dict(duel["votes"]),
        "share": None if hidden else dict(duel["share"]),
        "vote_url": duel.get("vote_url"),
        "challenges": [
            {"number": leg["leg"], "id": leg["id"], "trade": leg["trade"], "title": leg["title"],
             "status": leg["status"]}
            for leg in duel["legs"]
        ],
    }  # fmt: skip


def _ranked(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The board's company ranking (already sorted), numbered 1, 2, 3 …"""
    return [
        {"position": n, "company_id": row["id"], "name": row["name"], "wins": row["wins"],
         "votes": row["votes"]}
        for n, row in enumerate(rows, start=1)
    ]  # fmt: skip


def _brand(client: redis.Redis, cid: str, title: str, base: str) -> dict[str, Any] | None:
    """What ``web.branding.context`` gives the pages, plus the colours, as absolute URLs;
    None when the competition (and its organisation) set no branding."""
    brand = branding.effective(client, cid)
    if not (brand.region or brand.primary or brand.accent or brand.logo or brand.sponsors):
        return None
    version = f"?v={brand.version}"
    return {
        "name": title,
        "region": brand.region,
        "primary": brand.primary or None,
        "accent": brand.accent or None,
        "logo": f"{base}/brand/{cid}/logo.png{version}" if brand.logo else None,
        "sponsors": [
            {
                "name": sponsor.name,
                "link": sponsor.link or None,
                "logo": f"{base}/brand/{cid}/sponsor/{n}.png{version}",
            }
            for n, sponsor in enumerate(brand.sponsors)
        ],
    }
