"""Public pages from a vote to an apprenticeship (#19): the competition's places page, its
open-data feed, company logos, the trade pages and the vote page's company cards.

Apply links always go through the counting redirect ``/go/{cid}/{place_id}`` (its own
router); these pages only link to it. Read models: ``web/places.py``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlencode

import redis
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from duels import brand_images, errors, keys, store, videos
from duels.apprenticeships import Profile
from voting.page import load_duel
from web import branding, caching, open_data, places
from web.i18n import pick_language, translator
from web.templating import render

router = APIRouter(tags=["audience"])

_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SLUG = re.compile(r"^[a-z0-9-]{1,60}$")
# Places change in a company's portal, not by the second: a minute in any cache, then a
# bodiless 304 while the ETag holds.
PLACES_CACHE = "public, max-age=60"
IMAGES = "public, max-age=300"
PAGE_CACHE = "public, max-age=60"


def _lang(request: Request) -> str:
    return pick_language(request, request.app.state.settings.default_language)


def _missing(request: Request, what: str) -> HTMLResponse:
    response = render(request, "places/missing.html", {"what": what}, status_code=404)
    response.headers["Cache-Control"] = "no-store"
    return response


def _competition_id(client: redis.Redis, ident: str) -> tuple[str, str] | None:
    """(id, title) of the competition named by id or by slug; None if there is none."""
    if not _ID.match(ident):
        return None
    try:
        competition = store.get_competition(client, ident)
    except errors.NotFound:
        try:
            competition = store.competition_by_slug(client, ident)
        except errors.NotFound:
            return None
    return competition.id, competition.title


# The places page -------------------------------------------------------------------


@router.get("/c/{cid}/ausbildung", include_in_schema=False)
async def places_page(cid: str, request: Request, beruf: str = "", ort: str = "") -> Response:
    client: redis.Redis = request.app.state.store
    found = await run_in_threadpool(_competition_id, client, cid)
    if found is None:
        return _missing(request, "competition")
    real, title = found
    if real != cid:  # reached by the competition's slug: one address per page
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/c/{real}/ausbildung{query}", status_code=308)
    snap = await run_in_threadpool(places.snapshot, client, cid)
    every = places.rows(snap)
    trades, locations = places.choices(every)
    trade = beruf if any(item.slug == beruf for item in trades) else ""
    location = next((loc for loc in locations if loc.casefold() == ort.casefold()), "")
    shown = places.filtered(every, trade, location)
    lang = _lang(request)
    t = translator(lang)
    base = request.app.state.settings.public_url
    context: dict[str, Any] = {
        "cid": cid,
        "title": title,
        "rows": shown,
        "groups": _groups(shown),
        "total": len(every),
        "trades": trades,
        "locations": locations,
        "trade": trade,
        "location": location,
        "postings": [places.job_posting(row, base, lang, t) for row in shown],
        "start_words": lambda starts: places.start_words(starts, t),
        "brand": await branding.context_async(request, cid),
        "page_url": f"{base.rstrip('/')}/c/{cid}/ausbildung",
    }
    return render(request, "places/places.html", context)


def _groups(shown: list[places.Row]) -> list[dict[str, Any]]:
    """The rows by trade, in the order they come (sorted by trade, then start)."""
    groups: dict[str, dict[str, Any]] = {}
    for row in shown:
        groups.setdefault(row.trade.slug, {"trade": row.trade, "rows": []})["rows"].append(row)
    return list(groups.values())


@router.get("/c/{cid}/logo/{company_id}.png", include_in_schema=False)
def company_logo(cid: str, company_id: str, request: Request) -> Response:
    """A company's logo as its profile shows it (none while a host hides the profile)."""
    client: redis.Redis = request.app.state.store
    if not _ID.match(cid) or not _ID.match(company_id):
        raise errors.NotFound("No such logo.", code="unknown_logo")
    raw = client.hget(keys.profiles(cid), company_id)
    profile = Profile.from_json(raw) if raw else None
    if profile is None or profile.hidden or not profile.logo:
        raise errors.NotFound("No such logo.", code="unknown_logo")
    path = brand_images.path_of(videos.media_dir(request.app.state.settings), profile.logo)
    if path is None:
        raise errors.NotFound("No such logo.", code="unknown_logo")
    return caching.cached_file(request, path, "image/png", IMAGES)


# The open-data feed ----------------------------------------------------------------

_EXAMPLE: dict[str, Any] = {
    "competition": {"id": "c7k2m9x4p", "title": "Azubi-Duell 2026"},
    "places": [
        {
            "id": "p4hq8w2mz",
            "company": {
                "id": "cof3k9t2xa",
                "name": "Tischlerei Holzwurm",
                "about": "Wir bauen Möbel und Treppen für die ganze Region.",
                "location": "Bielefeld",
                "website": "https://holzwurm.example/",
                "logo": "https://duell.example.org/c/c7k2m9x4p/logo/cof3k9t2xa.png?v=1767225600",
            },
            "trade": {
                "name": "Tischler/in",
                "slug": "tischler-in",
                "url": "https://duell.example.org/berufe/tischler-in?c=c7k2m9x4p",
            },
            "starts": "2027-08",
            "count": 2,
            "apply": {
                "url": "https://duell.example.org/go/c7k2m9x4p/p4hq8w2mz",
                "host": "karriere.holzwurm.example",
            },
            "updated_at": "2026-12-01T09:30:00+00:00",
        }
    ],
    "links": {
        "page": "https://duell.example.org/c/c7k2m9x4p/ausbildung",
        "feed": "https://duell.example.org/api/competitions/c7k2m9x4p/places",
    },
}


@router.get(
    "/api/competitions/{cid}/places",
    summary="Open apprenticeship places of a competition (open data)",
    description=(
        "Every open apprenticeship place of the competition's companies, for the region's "
        "websites and job boards: the company (`name`, `about`, `location`, `website`, "
        "`logo` as absolute URLs; null when not given), the trade (`name`, `slug` and the "
        "trade page's `url`), `starts` (`YYYY-MM`, null when open), `count` (places), "
        "`apply` (`url`: our redirect to the company's application page or e-mail, `host`: "
        "where it leads) and `updated_at` (ISO 8601, the profile's last change). Places of "
        "profiles a host hid are left out. Sorted by trade, then start. JSON Schema: "
        "`docs/places.schema.json`; the places page carries the same places as schema.org "
        "`JobPosting`." + open_data.description(PLACES_CACHE)
    ),
    response_class=Response,
    responses=open_data.responses(_EXAMPLE),
)
async def get_places(cid: str, request: Request) -> Response:
    return await open_data.answer(request, _feed, cid, PLACES_CACHE)


def _feed(client: redis.Redis, cid: str, public_url: str) -> dict[str, Any]:
    if not _ID.match(cid):
        raise errors.NotFound(f"Unknown competition {cid!r}.", code="unknown_competition")
    competition = store.get_competition(client, cid)
    return places.feed(places.snapshot(client, cid), competition.title, public_url)


# The trade pages -------------------------------------------------------------------


@router.get("/berufe/{trade_slug}", include_in_schema=False)
async def trade_page(trade_slug: str, request: Request, c: str = "") -> Response:
    client: redis.Redis = request.app.state.store
    if not _SLUG.match(trade_slug) or (c and not _ID.match(c)):
        return _missing(request, "trade")
    found = await run_in_threadpool(_trade, client, trade_slug, c)
    if found is None:
        return _missing(request, "trade")
    lang = _lang(request)
    t = translator(lang)
    brand = await branding.context_async(request, c) if c else None
    context = {
        **found,
        "about": found["trade"].about(lang),
        "start_words": lambda starts: places.start_words(starts, t),
        "narrowed": c,
        "brand": brand,
    }
    response = render(request, "places/trade.html", context)
    response.headers["Cache-Control"] = PAGE_CACHE
    return response


def _trade(client: redis.Redis, trade_slug: str, only: str) -> dict[str, Any] | None:
    """The trade across the publicly listed competitions (or ``only`` that one)."""
    if only:
        cids = [only] if client.sismember(keys.COMPETITIONS, only) else []
    else:
        cids = sorted(str(cid) for cid in client.smembers(keys.COMPETITIONS))
    trade = None
    sections: list[dict[str, Any]] = []
    for cid in cids:
        try:
            competition = store.get_competition(client, cid)
        except errors.NotFound:
            continue
        snap = places.snapshot(client, cid)
        known = snap.trades().get(trade_slug)
        if known is None:
            continue
        if trade is None or (not trade.about_de and known.about_de):
            trade = known  # the first with the host's words
        duels = places.duels_of_trade(snap, store.duels_of_competition(client, cid), trade_slug)
        rows = [row for row in places.rows(snap) if row.trade.slug == trade_slug]
        sections.append({"competition": competition, "duels": duels, "rows": rows})
    if trade is None:
        return None
    sections.sort(key=lambda section: section["competition"].created_at, reverse=True)
    return {"trade": trade, "sections": sections}


# The vote page's cards -------------------------------------------------------------


def snapshot_cache(request: Request) -> places.SnapshotCache:
    """The process' snapshot cache (the vote page reads the cards through it)."""
    state = request.app.state
    cache: places.SnapshotCache | None = getattr(state, "place_snapshots", None)
    if cache is None:
        cache = state.place_snapshots = places.SnapshotCache()
    return cache


async def cards_context(request: Request, cid: str, did: str, teams: list[str], trade: str
                        ) -> dict[str, Any]:  # fmt: skip
    """What ``places/_cards.html`` renders for a duel (one cached read per few seconds)."""
    snap = await snapshot_cache(request).read(request.app.state.redis, cid)
    t = translator(_lang(request))
    return {
        "apprentice": {
            "cid": cid,
            "cards": places.duel_cards(snap, did, teams, trade),
            "start_words": lambda starts: places.start_words(starts, t),
            "trade_query": f"?{urlencode({'c': cid})}",
        }
    }


@router.get("/vote/{did}/ausbildung", include_in_schema=False)
async def vote_cards(did: str, request: Request) -> HTMLResponse:
    """The "Ausbildung bei <Firma>" cards alone, for ``apprentice.js`` to show after a
    vote sent by script (the page itself renders them for a voter who has voted)."""
    if not _ID.match(did):
        raise errors.NotFound(f"Unknown duel {did!r}.", code="unknown_duel")
    duel = await load_duel(request.app.state.redis, did)
    if duel is None:
        raise errors.NotFound(f"Unknown duel {did!r}.", code="unknown_duel")
    teams = [side.team_id for side in duel.sides]
    context = {
        "duel": duel,
        **await cards_context(request, duel.competition, duel.id, teams, duel.trade),
    }
    response = render(request, "places/_cards.html", context)
    response.headers["Cache-Control"] = "no-store"
    return response


def places_url(cid: str) -> str:
    return f"/c/{quote(cid, safe='')}/ausbildung"
