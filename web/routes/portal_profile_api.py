"""The company's JSON API for its profile and open apprenticeship places (#19), under
``/api/portal/...``: ``Authorization: Bearer <invite token>`` names the company, never the
body, so a company changes its own profile and places only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.responses import Response

from duels import apprenticeships, errors, store
from duels.records import Company
from web.routes.portal_profile import (
    AUTH_ERRORS,
    PLACE_ERRORS,
    PROFILE_ERRORS,
    actor_of,
    parse_count,
    place_public,
    profile_public,
)
from web.security import bearer_token

router = APIRouter()


# Company: the JSON API ---------------------------------------------------------------


class ProfileIn(BaseModel):
    about: str = Field(default="", description="One plain sentence, at most 280 characters")
    location: str = Field(default="", description="Town or district, at most 80 characters")
    website: str = Field(
        default="", description='https link; "www.firma.de" becomes "https://www.firma.de/"'
    )


class PlaceIn(BaseModel):
    trade: str = Field(description="The trade, at most 80 characters")
    starts: str = Field(default="", description='Start month "YYYY-MM", or ""')
    apply_url: str = Field(default="", description="https link to the application page")
    apply_email: str = Field(default="", description="E-mail address to apply to")
    count: Any = Field(default=1, description="Number of places, 1 to 99")

    def values(self) -> dict[str, Any]:
        """The place's fields for ``apprenticeships.add_place`` (``count`` checked)."""
        return {**self.model_dump(), "count": parse_count(self.count)}


class PlaceChange(BaseModel):
    trade: str | None = None
    starts: str | None = None
    apply_url: str | None = None
    apply_email: str | None = None
    count: Any = None


def api_company(request: Request) -> Company:
    """The company of the request's bearer invite token (as ``POST /api/duels/{did}/videos``)."""
    token = bearer_token(request)
    if token is None:
        raise errors.Unauthorized(
            "The company's invite token is required.", code="company_token_required"
        )
    company = store.company_for_token(request.app.state.store, token)
    if company is None:
        raise errors.Forbidden("The invite token is not valid.", code="company_token_invalid")
    return company


def _company_profile(request: Request, company: Company) -> dict[str, Any]:
    profile = apprenticeships.get_profile(request.app.state.store, company.competition, company.id)
    return profile_public(company.competition, profile, company.name)


@router.get(
    "/api/portal/profile", tags=["company"], summary="The company's profile and places",
    description=f"Authorization: Bearer <invite token>. Errors: {AUTH_ERRORS}. A hidden "
    "profile (`hidden`, `hidden_reason`) was hidden by a host and is not shown publicly.",
)  # fmt: skip
def api_get_profile(request: Request) -> dict[str, Any]:
    return _company_profile(request, api_company(request))


@router.put(
    "/api/portal/profile", tags=["company"], summary="Save the company's profile",
    description=f"Authorization: Bearer <invite token>. 422 codes: {PROFILE_ERRORS}. "
    f"{AUTH_ERRORS}.",
)  # fmt: skip
def api_put_profile(body: ProfileIn, request: Request) -> dict[str, Any]:
    company = api_company(request)
    apprenticeships.update_profile(
        request.app.state.store, company.competition, company.id, about=body.about,
        location=body.location, website=body.website, actor=actor_of(company),
    )  # fmt: skip
    return _company_profile(request, company)


@router.post(
    "/api/portal/places", tags=["company"], status_code=201,
    summary="Add an open apprenticeship place",
    description=f"Authorization: Bearer <invite token>. 422 codes: {PLACE_ERRORS}. "
    f"{AUTH_ERRORS}.",
)  # fmt: skip
def api_add_place(body: PlaceIn, request: Request) -> dict[str, Any]:
    company = api_company(request)
    place = apprenticeships.add_place(
        request.app.state.store, company.competition, company.id, **body.values(),
        actor=actor_of(company),
    )  # fmt: skip
    return place_public(place)


@router.put(
    "/api/portal/places/{place_id}", tags=["company"], summary="Change one of the company's places",
    description=f"Only the fields sent change. 404 `unknown_place` (also for another company's "
    f"place). 422 codes: {PLACE_ERRORS}. {AUTH_ERRORS}.",
)  # fmt: skip
def api_update_place(place_id: str, body: PlaceChange, request: Request) -> dict[str, Any]:
    company = api_company(request)
    place = apprenticeships.update_place(
        request.app.state.store, company.competition, company.id, place_id, actor_of(company),
        **changes(body),
    )  # fmt: skip
    return place_public(place)


@router.delete(
    "/api/portal/places/{place_id}", tags=["company"], status_code=204,
    summary="Remove one of the company's places",
    description=f"404 `unknown_place` (also for another company's place). {AUTH_ERRORS}.",
)  # fmt: skip
def api_remove_place(place_id: str, request: Request) -> Response:
    company = api_company(request)
    apprenticeships.remove_place(
        request.app.state.store, company.competition, company.id, place_id, actor_of(company)
    )
    return Response(status_code=204)


def changes(body: PlaceChange) -> dict[str, Any]:
    """The fields of a place change that were sent (``count`` checked)."""
    sent = body.model_dump(exclude_unset=True)
    found = {name: value for name, value in sent.items() if value is not None or name == "count"}
    if "count" in found:
        found["count"] = parse_count(found["count"])
    return found
