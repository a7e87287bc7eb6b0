"""Share cards of a duel as PNG: a stable URL (short cache, ETag) and a content-hashed
one (cached for a year). Drawn once per input set and kept in ``DATA_DIR/cards``."""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import cast

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from duels import brand_images, branding, errors, keys, videos
from duels.settings import Settings
from voting import cards, share
from web import caching, places
from web.i18n import LANGUAGES, Translator, translator

router = APIRouter()

_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_HASH = re.compile(r"^[0-9a-f]{24}$")
STABLE = "public, max-age=300"


def _variant(did: str, variant: str) -> cards.Variant:
    if not _ID.match(did) or variant not in cards.SIZES:
        raise errors.NotFound("No such card.", code="unknown_card")
    return cast(cards.Variant, variant)


def card_file(request: Request, did: str, variant: cards.Variant) -> tuple[Path, str]:
    """The card file of the duel as it stands now, drawn if not cached yet; its hash."""
    settings: Settings = request.app.state.settings
    lang = _language(request)
    t = translator(lang)
    inputs = share.card_inputs(request.app.state.store, did, variant, settings.public_url, t)
    inputs = _branded(request, inputs, did)
    inputs = _with_places(request, inputs, did, t)
    digest = inputs.content_hash()
    folder = settings.data_dir / "cards" / did
    if lang != settings.default_language:
        folder = folder / lang
    path = folder / f"{variant}-{digest}.png"
    if not path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        data = cards.render(inputs)
        with tempfile.NamedTemporaryFile(dir=folder, suffix=".tmp", delete=False) as handle:
            handle.write(data)
        os.replace(handle.name, path)
        for old in folder.glob(f"{variant}-*.png"):
            if old != path:
                old.unlink(missing_ok=True)
    return path, digest


@router.get("/cards/duels/{did}/{variant}.png", include_in_schema=False)
def card(did: str, variant: str, request: Request) -> Response:
    """The current card; ``{variant}`` is ``story``, ``post`` or ``post-<hash>``."""
    wanted = ""
    if "-" in variant:
        variant, wanted = variant.split("-", 1)
        if not _HASH.match(wanted):
            raise errors.NotFound("No such card.", code="unknown_card")
    path, digest = card_file(request, did, _variant(did, variant))
    if wanted and wanted != digest:
        # An older look of the card: send the client to the current one.
        location = share.card_path(did, variant)
        if _language(request) != request.app.state.settings.default_language:
            location += f"?lang={_language(request)}"
        response = RedirectResponse(location, status_code=302)
        response.headers["Cache-Control"] = "no-cache"
        return response
    return caching.cached_file(
        request, path, "image/png", caching.IMMUTABLE if wanted else STABLE, f'"{digest}"'
    )


def _language(request: Request) -> str:
    """Only ``?lang=`` picks another language: the card URL is cached and shared without
    the page's cookie."""
    asked = request.query_params.get("lang", "")
    return asked if asked in LANGUAGES else str(request.app.state.settings.default_language)


def _branded(request: Request, inputs: cards.CardInputs, did: str) -> cards.CardInputs:
    """The card in the competition's primary colour, with its logo."""
    client = request.app.state.store
    cid = client.hget(keys.duel(did), "competition")
    if not cid:
        return inputs
    brand = branding.effective(client, str(cid))
    folder = videos.media_dir(request.app.state.settings)
    logo = brand_images.path_of(folder, brand.logo) if brand.logo else None
    return replace(inputs, primary=brand.primary, logo=str(logo) if logo else "")


def _with_places(
    request: Request, inputs: cards.CardInputs, did: str, t: Translator
) -> cards.CardInputs:
    """The short link to the competition's places page, while it lists open places (#19)."""
    client = request.app.state.store
    cid = client.hget(keys.duel(did), "competition")
    if not cid or not places.snapshot(client, str(cid)).places:
        return inputs
    link = places.short_link(request.app.state.settings.public_url, str(cid))
    return replace(inputs, places_label=t("places.short_link", link=link))


def hashed_card_path(request: Request, did: str, variant: cards.Variant) -> str:
    _, digest = card_file(request, did, variant)
    return f"/cards/duels/{did}/{variant}-{digest}.png"
