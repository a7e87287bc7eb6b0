"""Public side of the branding: the brand stylesheet of a competition, its logo and
sponsor logos, and an organisation's public index of its competitions (``/o/{slug}``)."""

from __future__ import annotations

import re
from typing import Any

import redis
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, Response

from duels import brand_images, branding, errors, keys, organisations, store, videos, views
from duels.records import Competition
from web import caching
from web.branding import css_etag, stylesheet
from web.templating import render

router = APIRouter(include_in_schema=False)

_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
SHORT = "public, max-age=60"
IMAGES = "public, max-age=300"


def _effective(request: Request, cid: str) -> branding.Brand:
    client: redis.Redis = request.app.state.store
    if not _ID.match(cid) or not client.exists(keys.competition(cid)):
        raise errors.NotFound(f"Unknown competition {cid!r}.", code="unknown_competition")
    return branding.effective(client, cid)


@router.get("/brand/{cid}.css")
def brand_css(cid: str, request: Request) -> Response:
    brand = _effective(request, cid)
    etag = css_etag(brand)
    if caching.matches(request, etag):
        return caching.not_modified(etag, SHORT)
    return Response(
        stylesheet(brand),
        media_type="text/css; charset=utf-8",
        headers={"ETag": etag, "Cache-Control": SHORT},
    )


@router.get("/brand/{cid}/logo.png")
def brand_logo(cid: str, request: Request) -> Response:
    return _image(request, _effective(request, cid).logo)


@router.get("/brand/{cid}/sponsor/{index}.png")
def sponsor_logo(cid: str, index: int, request: Request) -> Response:
    sponsors = _effective(request, cid).sponsors
    if not 0 <= index < len(sponsors):
        raise errors.NotFound("No such sponsor.", code="unknown_sponsor")
    return _image(request, sponsors[index].image)


@router.get("/brand/{kind}/{ident}/logo.png")
def own_logo(kind: str, ident: str, request: Request) -> Response:
    """A competition's or organisation's own logo (the console's preview)."""
    if kind not in ("c", "o") or not _ID.match(ident):
        raise errors.NotFound("No such logo.", code="unknown_logo")
    return _image(request, branding.get(request.app.state.store, f"{kind}:{ident}").logo)


def _image(request: Request, name: str) -> Response:
    path = brand_images.path_of(videos.media_dir(request.app.state.settings), name)
    if path is None:
        raise errors.NotFound("No such logo.", code="unknown_logo")
    return caching.cached_file(request, path, "image/png", IMAGES)


@router.get("/o/{slug}")
async def organisation_index(slug: str, request: Request) -> HTMLResponse:
    listed = await run_in_threadpool(_organisation_index, request.app.state.store, slug)
    return render(request, "organisation.html", listed)


def _organisation_index(client: redis.Redis, slug: str) -> dict[str, Any]:
    organisation = organisations.organisation_by_slug(client, slug)
    current: list[Competition] = []
    past: list[Competition] = []
    for cid in organisations.competitions_of(client, organisation.id):
        try:
            competition = store.get_competition(client, cid)
            finished = bool(views.bracket_view(client, cid)["finished"])
        except errors.DomainError:
            continue
        (past if finished else current).append(competition)
    own = branding.get(client, f"o:{organisation.id}")
    return {
        "organisation": organisation,
        "current": sorted(current, key=lambda c: c.created_at, reverse=True),
        "past": sorted(past, key=lambda c: c.created_at, reverse=True),
        "logo": f"/brand/o/{organisation.id}/logo.png?v={own.version}" if own.logo else "",
        "brand": {"legal": {"imprint": own.imprint, "privacy": own.privacy}},
    }
