"""Hosts edit and moderate the companies' profiles and apprenticeship places (#19), and
write the trades' plain words: the console page ``/host/c/{cid}/ausbildung``
(``host/apprenticeships.html``) and the host API. Editing is configuration (Configurer),
hiding a profile is moderation (Moderator), reading is for every role that reads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, Field
from starlette.responses import HTMLResponse, Response

from duels import access, apprenticeships, brand_images, errors, store, trades, videos
from web import caching
from web.deps import Configurer, Moderator, Reader
from web.routes.host_console import _act, _page
from web.routes.portal_profile import (
    PLACE_ERRORS,
    PROFILE_ERRORS,
    PlaceForm,
    place_public,
    profile_public,
    trade_names,
)
from web.routes.portal_profile_api import PlaceChange, PlaceIn, ProfileIn, changes

router = APIRouter()
FormText = Annotated[str, Form()]
CSRF = Annotated[str, Form()]


def _back(cid: str, anchor: str = "") -> str:
    return f"/host/c/{cid}/ausbildung" + (f"#{anchor}" if anchor else "")


# Console ------------------------------------------------------------------------------


@router.get("/host/c/{cid}/ausbildung", include_in_schema=False)
def profiles_page(request: Request, cid: str, by: Reader) -> HTMLResponse:
    client = request.app.state.store
    competition = store.get_competition(client, cid)
    companies = store.list_companies(client, cid)
    profiles = apprenticeships.all_profiles(client, cid)
    return _page(
        request,
        "host/apprenticeships.html",
        {
            "competition": competition,
            "rows": [(company, profiles[company.id]) for company in companies],
            "trades": list(trades.trades_of(client, cid).values()),
            "suggestions": trade_names(client, cid),
            "can": access.permissions(client, by, cid),
            "max_places": apprenticeships.MAX_PLACES,
            "max_trade_text": trades.MAX_ABOUT,
        },
    )


@router.get("/host/c/{cid}/ausbildung/{company_id}/logo.png", include_in_schema=False)
def console_logo(request: Request, cid: str, company_id: str, by: Reader) -> Response:
    """The logo also while the profile is hidden (the host decides whether to show it)."""
    profile = apprenticeships.get_profile(request.app.state.store, cid, company_id)
    path = brand_images.path_of(videos.media_dir(request.app.state.settings), profile.logo)
    if path is None:
        raise errors.NotFound("No such logo.", code="unknown_logo")
    return caching.cached_file(request, path, "image/png", "private, no-store")


@router.post("/host/c/{cid}/ausbildung/{company_id}/profile", include_in_schema=False)
def console_save_profile(
    request: Request,
    cid: str,
    company_id: str,
    csrf: CSRF,
    by: Configurer,
    about: FormText = "",
    location: FormText = "",
    website: FormText = "",
) -> Response:
    client = request.app.state.store
    return _act(
        request, csrf, _back(cid, f"company-{company_id}"),
        lambda: apprenticeships.update_profile(
            client, cid, company_id, about=about, location=location, website=website,
            actor=by.actor,
        ),
        "profile_saved",
    )  # fmt: skip


@router.post("/host/c/{cid}/ausbildung/{company_id}/places", include_in_schema=False)
def console_add_place(
    request: Request,
    cid: str,
    company_id: str,
    csrf: CSRF,
    by: Configurer,
    place: PlaceForm,
) -> Response:
    client = request.app.state.store
    return _act(
        request, csrf, _back(cid, f"company-{company_id}"),
        lambda: apprenticeships.add_place(
            client, cid, company_id, **place.values(), actor=by.actor
        ),
        "place_added",
    )  # fmt: skip


@router.post(
    "/host/c/{cid}/ausbildung/{company_id}/places/{place_id}", include_in_schema=False
)  # fmt: skip
def console_save_place(
    request: Request,
    cid: str,
    company_id: str,
    place_id: str,
    csrf: CSRF,
    by: Configurer,
    place: PlaceForm,
) -> Response:
    client = request.app.state.store
    return _act(
        request, csrf, _back(cid, f"company-{company_id}"),
        lambda: apprenticeships.update_place(
            client, cid, company_id, place_id, by.actor, **place.values()
        ),
        "place_saved",
    )  # fmt: skip


@router.post(
    "/host/c/{cid}/ausbildung/{company_id}/places/{place_id}/remove", include_in_schema=False
)  # fmt: skip
def console_remove_place(
    request: Request, cid: str, company_id: str, place_id: str, csrf: CSRF, by: Configurer
) -> Response:
    client = request.app.state.store
    return _act(
        request, csrf, _back(cid, f"company-{company_id}"),
        lambda: apprenticeships.remove_place(client, cid, company_id, place_id, by.actor),
        "place_removed",
    )  # fmt: skip


@router.post("/host/c/{cid}/ausbildung/{company_id}/hide", include_in_schema=False)
def console_hide(
    request: Request,
    cid: str,
    company_id: str,
    csrf: CSRF,
    by: Moderator,
    hidden: FormText = "1",
    reason: FormText = "",
) -> Response:
    client = request.app.state.store
    hide = hidden == "1"
    return _act(
        request, csrf, _back(cid, f"company-{company_id}"),
        lambda: apprenticeships.set_hidden(client, cid, company_id, hide, reason, by.actor),
        "profile_hidden" if hide else "profile_shown",
    )  # fmt: skip


@router.post("/host/c/{cid}/berufe/{slug}", include_in_schema=False)
def console_trade(
    request: Request,
    cid: str,
    slug: str,
    csrf: CSRF,
    by: Configurer,
    about_de: FormText = "",
    about_en: FormText = "",
) -> Response:
    client = request.app.state.store
    return _act(
        request, csrf, _back(cid, f"trade-{slug}"),
        lambda: trades.describe(client, cid, slug, about_de, about_en, by.actor),
        "trade_saved",
    )  # fmt: skip


# API ----------------------------------------------------------------------------------


class HideIn(BaseModel):
    hidden: bool
    reason: str = Field(default="", description="Required when hiding; the company sees it")


class TradeIn(BaseModel):
    about_de: str = Field(default="", description="Two or three plain sentences, German")
    about_en: str = Field(default="", description="Optional English text")


def _profile(client: Any, cid: str, company_id: str) -> dict[str, Any]:
    company = store.get_company(client, cid, company_id)
    return profile_public(cid, apprenticeships.get_profile(client, cid, company_id), company.name)


@router.get(
    "/api/competitions/{cid}/profiles", tags=["host"],
    summary="Every company's profile and places, hidden ones included",
)  # fmt: skip
def api_profiles(cid: str, request: Request, by: Reader) -> list[dict[str, Any]]:
    client = request.app.state.store
    store.get_competition(client, cid)
    names = {company.id: company.name for company in store.list_companies(client, cid)}
    return [
        profile_public(cid, profile, names.get(company_id, ""))
        for company_id, profile in apprenticeships.all_profiles(client, cid).items()
    ]


@router.put(
    "/api/competitions/{cid}/companies/{company_id}/profile", tags=["host"],
    summary="Edit a company's profile",
    description=f"404 `unknown_company`. 422 codes: {PROFILE_ERRORS}.",
)  # fmt: skip
def api_put_profile(
    cid: str, company_id: str, body: ProfileIn, request: Request, by: Configurer
) -> dict[str, Any]:
    client = request.app.state.store
    apprenticeships.update_profile(
        client, cid, company_id, about=body.about, location=body.location,
        website=body.website, actor=by.actor,
    )  # fmt: skip
    return _profile(client, cid, company_id)


@router.post(
    "/api/competitions/{cid}/companies/{company_id}/profile/hide", tags=["host"],
    summary="Hide a company's profile and places (or show them again)",
    description="Moderators. Hiding needs a reason (422 `reason_required`; `too_long` over 200 "
    "characters); the company sees it in its portal. Hidden places leave every public list.",
)  # fmt: skip
def api_hide(
    cid: str, company_id: str, body: HideIn, request: Request, by: Moderator
) -> dict[str, Any]:
    client = request.app.state.store
    apprenticeships.set_hidden(client, cid, company_id, body.hidden, body.reason, by.actor)
    return _profile(client, cid, company_id)


@router.post(
    "/api/competitions/{cid}/companies/{company_id}/places", tags=["host"], status_code=201,
    summary="Add a place for a company", description=f"422 codes: {PLACE_ERRORS}.",
)  # fmt: skip
def api_add_place(
    cid: str, company_id: str, body: PlaceIn, request: Request, by: Configurer
) -> dict[str, Any]:
    place = apprenticeships.add_place(
        request.app.state.store, cid, company_id, **body.values(), actor=by.actor
    )
    return place_public(place)


@router.put(
    "/api/competitions/{cid}/companies/{company_id}/places/{place_id}", tags=["host"],
    summary="Change a company's place",
    description=f"Only the fields sent change. 404 `unknown_place`. 422 codes: {PLACE_ERRORS}.",
)  # fmt: skip
def api_update_place(
    cid: str, company_id: str, place_id: str, body: PlaceChange, request: Request, by: Configurer
) -> dict[str, Any]:
    place = apprenticeships.update_place(
        request.app.state.store, cid, company_id, place_id, by.actor, **changes(body)
    )
    return place_public(place)


@router.delete(
    "/api/competitions/{cid}/companies/{company_id}/places/{place_id}", tags=["host"],
    status_code=204, summary="Remove a company's place", description="404 `unknown_place`.",
)  # fmt: skip
def api_remove_place(
    cid: str, company_id: str, place_id: str, request: Request, by: Configurer
) -> Response:
    apprenticeships.remove_place(request.app.state.store, cid, company_id, place_id, by.actor)
    return Response(status_code=204)


@router.get(
    "/api/competitions/{cid}/trades", tags=["host"],
    summary="The trades of the competition (teams and open places) with their texts",
)  # fmt: skip
def api_trades(cid: str, request: Request, by: Reader) -> list[dict[str, str]]:
    client = request.app.state.store
    store.get_competition(client, cid)
    return [_trade_public(trade) for trade in trades.trades_of(client, cid).values()]


@router.put(
    "/api/competitions/{cid}/trades/{slug}", tags=["host"],
    summary="Write what a trade is (German, optional English)",
    description="At most 600 characters each, one paragraph of plain text. 404 "
    "`unknown_trade` (no team or open place has it); 422 `too_long`, `invalid_text`.",
)  # fmt: skip
def api_trade(
    cid: str, slug: str, body: TradeIn, request: Request, by: Configurer
) -> dict[str, str]:
    trade = trades.describe(
        request.app.state.store, cid, slug, body.about_de, body.about_en, by.actor
    )
    return _trade_public(trade)


def _trade_public(trade: trades.Trade) -> dict[str, str]:
    return {"slug": trade.slug, "name": trade.name, "about_de": trade.about_de,
            "about_en": trade.about_en}  # fmt: skip
