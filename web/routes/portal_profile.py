"""Companies' profiles and open apprenticeship places (#19): the portal's "Unser Profil /
Ausbildungsplätze" section (``_portal_profile.html``, included from ``portal.html``) and
the public logo; the company's JSON API is ``portal_profile_api``.

A company is known by its invite token only (the portal URL, or ``Authorization: Bearer``
for the API); the company id never comes from a form or a body, so a company can change
its own profile and places only. The domain (``duels.apprenticeships``) checks every field.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

import redis
from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from starlette.responses import RedirectResponse, Response

from duels import apprenticeships, brand_images, errors, store, videos
from duels.apprenticeships import Place, Profile
from duels.records import Company
from web import caching
from web.routes.portal import csrf_token
from web.templating import environment, render

router = APIRouter()
FormText = Annotated[str, Form()]
IMAGES = "public, max-age=300"
_OK = ("profile_saved", "logo_saved", "place_added", "place_saved", "place_removed")

# Error codes a company may meet here (documented in the API descriptions).
PROFILE_ERRORS = (
    "`too_long` (about > 280, location > 80 characters), `invalid_text` (control characters), "
    "`invalid_link` (website not https://, credentials, no site name)"
)
PLACE_ERRORS = (
    "`trade_required`, `too_long` (trade > 80), `invalid_text`, `invalid_start` (not YYYY-MM), "
    "`invalid_link` (apply link not https://), `invalid_email`, `apply_target_required` "
    "(neither link nor e-mail), `invalid_count` (1 to 99), `too_many_places` (more than 20)"
)
AUTH_ERRORS = "401 `company_token_required`, 403 `company_token_invalid`"


# Shared read models ------------------------------------------------------------------


def logo_url(cid: str, profile: Profile) -> str:
    """The public, versioned address of a company's logo ("" without one or when hidden)."""
    if not profile.logo or profile.hidden:
        return ""
    return f"/brand/{cid}/company/{profile.company_id}/logo.png?v={_version(profile)}"


def _version(profile: Profile) -> str:
    return profile.logo.removeprefix("brand-")[:12]


def place_public(place: Place) -> dict[str, Any]:
    return {
        "id": place.id,
        "trade": place.trade,
        "starts": place.starts,
        "apply_url": place.apply_url,
        "apply_email": place.apply_email,
        "count": place.count,
        "target_host": place.target_host,
    }


def profile_public(cid: str, profile: Profile, name: str = "") -> dict[str, Any]:
    return {
        "company_id": profile.company_id,
        "name": name,
        "about": profile.about,
        "location": profile.location,
        "website": profile.website,
        "website_host": _host_of(profile.website),
        "logo_url": logo_url(cid, profile),
        "hidden": profile.hidden,
        "hidden_reason": profile.hidden_reason,
        "places": [place_public(place) for place in profile.places],
        "updated_at": profile.updated_at,
    }


def _host_of(url: str) -> str:
    return (urlsplit(url).hostname or "") if url else ""


def trade_names(client: redis.Redis, cid: str) -> list[str]:
    """The trades of the competition's teams (suggestions for a place's trade)."""
    names = {team.trade.strip() for team in store.list_teams(client, cid) if team.trade.strip()}
    return sorted(names, key=str.lower)


def parse_count(value: Any) -> int:
    """A number of places from a form field or JSON: 1 to 99, else `invalid_count`."""
    if isinstance(value, bool):
        raise errors.Invalid("The number of places is 1 to 99.", code="invalid_count")
    if isinstance(value, int):
        count = value
    elif isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 3:
        count = int(value.strip())
    elif isinstance(value, str) and not value.strip():
        count = 1
    else:
        raise errors.Invalid("The number of places is 1 to 99.", code="invalid_count")
    if not 1 <= count <= 99:
        raise errors.Invalid("The number of places is 1 to 99.", code="invalid_count")
    return count


@dataclass(frozen=True, slots=True)
class PlaceFields:
    """A place's form fields as typed; `values()` checks the count when the action runs,
    so a bad number comes back as the form's message like every other field's."""

    trade: str
    starts: str
    apply_url: str
    apply_email: str
    count: str

    def values(self) -> dict[str, Any]:
        return {
            "trade": self.trade,
            "starts": self.starts,
            "apply_url": self.apply_url,
            "apply_email": self.apply_email,
            "count": parse_count(self.count),
        }


def place_fields(
    trade: Annotated[str, Form()] = "",
    starts: Annotated[str, Form()] = "",
    apply_url: Annotated[str, Form()] = "",
    apply_email: Annotated[str, Form()] = "",
    count: Annotated[str, Form()] = "1",
) -> PlaceFields:
    return PlaceFields(trade, starts, apply_url, apply_email, count)


PlaceForm = Annotated[PlaceFields, Depends(place_fields)]


def portal_profile_panel(request: Request, company: Company) -> dict[str, Any]:
    """The portal section's data; ``_portal_profile.html`` asks for it."""
    client = request.app.state.store
    profile = apprenticeships.get_profile(client, company.competition, company.id)
    params = request.query_params
    ok = params.get("profile_ok", "")
    place = params.get("place", "")
    return {
        "profile": profile,
        "website_host": _host_of(profile.website),
        "has_logo": bool(profile.logo),
        "trades": trade_names(client, company.competition),
        "max_places": apprenticeships.MAX_PLACES,
        "limits": environment.globals["apprenticeship_limits"],
        "ok": ok if ok in _OK else "",
        "error": _code(params.get("profile_error", "")),
        # A place's error shows at its form; one for a place not listed (any more) on top.
        "error_place": place if place in {"new", *(p.id for p in profile.places)} else "",
    }


def _code(value: str) -> str:
    return value if value.replace("_", "").isalnum() and len(value) <= 40 else ""


environment.globals["portal_profile_panel"] = portal_profile_panel
environment.globals["apprenticeship_limits"] = {
    "about": apprenticeships.MAX_ABOUT,
    "location": apprenticeships.MAX_LOCATION,
    "trade": apprenticeships.MAX_TRADE,
    "link": apprenticeships.MAX_LINK,
    "email": apprenticeships.MAX_EMAIL,
}


# Company: the portal forms -----------------------------------------------------------


def _form_company(request: Request, token: str) -> Company:
    company = store.company_for_token(request.app.state.store, token)
    if company is None:
        raise errors.NotFound("This invite link is no longer valid.", code="company_token_invalid")
    return company


def _invalid(request: Request) -> Response:
    response = render(request, "portal_invalid.html", {}, status_code=404)
    response.headers["Cache-Control"] = "no-store"
    return response


def _portal_act(
    request: Request, token: str, csrf: str, action: Any, ok: str, place: str = ""
) -> Response:
    """Run one portal form action for the token's company; back to the section (PRG)."""
    company = store.company_for_token(request.app.state.store, token)
    if company is None:
        return _invalid(request)
    back = f"/company/{token}"
    expected = csrf_token(request.app.state.settings, token)
    try:
        if not hmac.compare_digest(csrf.encode(), expected.encode()):
            raise errors.Forbidden("The form has expired; reload the page.", code="csrf_invalid")
        action(company)
    except errors.DomainError as exc:
        where = f"&place={quote(place)}" if place else ""
        anchor = f"place-{place}" if place else "profile"
        return RedirectResponse(f"{back}?profile_error={quote(exc.code)}{where}#{anchor}", 303)
    return RedirectResponse(f"{back}?profile_ok={ok}#profile", 303)


@router.post("/company/{token}/profile", include_in_schema=False)
def portal_save_profile(
    token: str,
    request: Request,
    csrf: Annotated[str, Form()] = "",
    about: Annotated[str, Form()] = "",
    location: Annotated[str, Form()] = "",
    website: Annotated[str, Form()] = "",
) -> Response:
    client = request.app.state.store

    def action(company: Company) -> None:
        apprenticeships.update_profile(
            client, company.competition, company.id, about=about, location=location,
            website=website, actor=actor_of(company),
        )  # fmt: skip

    return _portal_act(request, token, csrf, action, "profile_saved")


@router.post("/company/{token}/profile/logo", include_in_schema=False)
def portal_logo(
    token: str,
    request: Request,
    csrf: Annotated[str, Form()] = "",
    file: Annotated[UploadFile | None, File()] = None,
) -> Response:
    client = request.app.state.store
    data = file.file.read(brand_images.MAX_BYTES + 1) if file is not None else b""

    def action(company: Company) -> None:
        folder = videos.media_dir(request.app.state.settings)
        apprenticeships.set_logo(
            client, company.competition, company.id, folder, data, actor=actor_of(company)
        )

    return _portal_act(request, token, csrf, action, "logo_saved")


@router.post("/company/{token}/places", include_in_schema=False)
def portal_add_place(
    token: str,
    request: Request,
    place: PlaceForm,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    client = request.app.state.store

    def action(company: Company) -> None:
        apprenticeships.add_place(
            client, company.competition, company.id, **place.values(), actor=actor_of(company)
        )

    return _portal_act(request, token, csrf, action, "place_added", "new")


@router.post("/company/{token}/places/{place_id}", include_in_schema=False)
def portal_save_place(
    token: str,
    place_id: str,
    request: Request,
    place: PlaceForm,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    client = request.app.state.store

    def action(company: Company) -> None:
        apprenticeships.update_place(
            client, company.competition, company.id, place_id, actor_of(company), **place.values()
        )

    return _portal_act(request, token, csrf, action, "place_saved", _code(place_id))


@router.post("/company/{token}/places/{place_id}/remove", include_in_schema=False)
def portal_remove_place(
    token: str, place_id: str, request: Request, csrf: Annotated[str, Form()] = ""
) -> Response:
    client = request.app.state.store

    def action(company: Company) -> None:
        apprenticeships.remove_place(
            client, company.competition, company.id, place_id, actor_of(company)
        )

    return _portal_act(request, token, csrf, action, "place_removed", _code(place_id))


@router.get("/company/{token}/profile/logo.png", include_in_schema=False)
def portal_logo_preview(token: str, request: Request) -> Response:
    """The company's own logo for its portal (also while a host hides the profile)."""
    company = _form_company(request, token)
    client = request.app.state.store
    profile = apprenticeships.get_profile(client, company.competition, company.id)
    return _logo_file(request, profile.logo, "private, no-store")


def actor_of(company: Company) -> str:
    return f"company:{company.id}"


# Public: the logo --------------------------------------------------------------------


@router.get("/brand/{cid}/company/{company_id}/logo.png", include_in_schema=False)
def company_logo(cid: str, company_id: str, request: Request) -> Response:
    """A company's logo as cleaned PNG (not while a host hides the profile)."""
    client = request.app.state.store
    profile = apprenticeships.get_profile(client, cid, company_id)
    if profile.hidden:
        raise errors.NotFound("No such logo.", code="unknown_logo")
    return _logo_file(request, profile.logo, IMAGES)


def _logo_file(request: Request, name: str, cache: str) -> Response:
    path = brand_images.path_of(videos.media_dir(request.app.state.settings), name)
    if path is None:
        raise errors.NotFound("No such logo.", code="unknown_logo")
    return caching.cached_file(request, path, "image/png", cache)
