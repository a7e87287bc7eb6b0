"""Companies' invite links in the console and the API: state, re-issue, revoke, contact
address, and the link by e-mail (a new link: the store keeps only hashes)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from duels import company_invites, errors, store
from web.deps import Configurer, Reader
from web.routes.host_console import _act, _issue_once
from web.templating import environment
from workers import company_mail

router = APIRouter()
Field = Annotated[str, Form()]
_BERLIN = ZoneInfo("Europe/Berlin")


def _back(cid: str) -> str:
    return f"/host/c/{cid}"


@router.post("/host/c/{cid}/companies/{company_id}/reissue", include_in_schema=False)
def reissue(request: Request, cid: str, company_id: str, csrf: Field, by: Configurer) -> Response:
    def issue() -> str:
        return store.rotate_invite(request.app.state.store, cid, company_id, actor=by.actor)

    return _issue_once(request, csrf, cid, issue, "invite_reissued", "invite")


@router.post("/host/c/{cid}/companies/{company_id}/revoke", include_in_schema=False)
def revoke(request: Request, cid: str, company_id: str, csrf: Field, by: Configurer) -> Response:
    client = request.app.state.store
    return _act(
        request, csrf, _back(cid),
        lambda: company_invites.revoke(client, cid, company_id, actor=by.actor), "invite_revoked",
    )  # fmt: skip


@router.post("/host/c/{cid}/companies/{company_id}/contact", include_in_schema=False)
def set_contact(
    request: Request,
    cid: str,
    company_id: str,
    csrf: Field,
    by: Configurer,
    email: Annotated[str, Form(max_length=254)] = "",
) -> Response:
    client = request.app.state.store
    return _act(
        request, csrf, _back(cid),
        lambda: company_invites.set_email(client, cid, company_id, email, actor=by.actor),
        "contact_saved",
    )  # fmt: skip


@router.post("/host/c/{cid}/companies/{company_id}/mail", include_in_schema=False)
def mail_link(request: Request, cid: str, company_id: str, csrf: Field, by: Configurer) -> Response:
    """Issue a new link and mail it to the contact address (the old link stops working)."""
    client, settings = request.app.state.store, request.app.state.settings

    def action() -> None:
        store.get_company(client, cid, company_id)
        if settings.smtp_url is None:
            raise errors.Conflict("MACHMAL_SMTP_URL is not set.", code="company_mail_needs_smtp")
        if not company_invites.contact(client, cid, company_id):
            raise errors.Invalid("Set the contact's e-mail address first.", code="contact_missing")
        token = store.rotate_invite(client, cid, company_id, actor=by.actor)
        company_mail.enqueue_invite(settings, cid, company_id, token)
        store.audit(client, cid, by.actor, "invite_mailed", company=company_id)

    return _act(request, csrf, _back(cid), action, "invite_mailed")


def companies_panel(request: Request, cid: str) -> dict[str, Any]:
    """The card's data; ``host/_companies.html`` on the competition page asks for it."""
    states = company_invites.states(request.app.state.store, cid)
    return {"states": states, "smtp": request.app.state.settings.smtp_url is not None}


def _when(epoch: float | None) -> str:
    return datetime.fromtimestamp(epoch, _BERLIN).strftime("%d.%m.%Y %H:%M") if epoch else "–"


# The card is one include line on the competition page; its data comes from here.
environment.globals["companies_panel"] = companies_panel
environment.filters["berlin_time"] = _when


# API ------------------------------------------------------------------------------------


@router.get(
    "/api/competitions/{cid}/companies/state", tags=["host"],
    summary="Invite links of the companies (issued, opened, mailed, revoked) and videos",
)  # fmt: skip
def invite_states(cid: str, request: Request, by: Reader) -> list[dict[str, Any]]:
    client = request.app.state.store
    store.get_competition(client, cid)
    return [state.public() for state in company_invites.states(client, cid)]


@router.post(
    "/api/competitions/{cid}/companies/{company_id}/revoke-invite", tags=["host"],
    summary="Revoke the company's invite link (the portal then says it is invalid)",
)  # fmt: skip
def revoke_invite(cid: str, company_id: str, request: Request, by: Configurer) -> dict[str, Any]:
    revoked = company_invites.revoke(request.app.state.store, cid, company_id, actor=by.actor)
    return {"id": company_id, "competition": cid, "revoked_links": revoked}
