"""Verified admission (online voting): ask for a confirmation link by e-mail, confirm it.

The link's GET only shows a page with one button: mail scanners fetch links, so only
the POST (CSRF-checked, tied to the voter cookie) spends the link and sets the pass.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from duels import errors
from voting import verify
from voting.admission import AdmissionPass
from voting.tokens import VOTER_COOKIE, new_voter_id
from web.audience import (
    client_ip,
    form_text,
    read_audience_form,
    set_admission_cookie,
    set_voter_cookie,
)
from web.routes.vote import ingest_for
from web.routes.vote_page import _render_page
from web.templating import render
from workers import mail

router = APIRouter()

# HTTP status of each refusal page of the link.
_LINK_STATUS = {"verify_invalid": 403, "verify_expired": 410, "verify_used": 409}


@router.post("/vote/{did}/email", include_in_schema=False)
async def request_email(did: str, request: Request) -> Response:
    """The e-mail form of the vote page: check, limit, queue the mail, 303 back."""
    ingest = ingest_for(request)
    settings = request.app.state.settings
    posted = await read_audience_form(request, ingest)
    form = posted.form
    if posted.refusal == "csrf_invalid":
        return await _render_page(request, did, status="csrf_invalid", status_code=403)
    if posted.refusal:
        return RedirectResponse(f"/vote/{did}?status={posted.refusal}", status_code=303)
    network_hash, _ = ingest.secrets.client_hashes(client_ip(request))
    location = f"/vote/{did}?status=email_sent"
    try:
        order = await run_in_threadpool(
            verify.request_link, request.app.state.store, settings, ingest.admission, did,
            form_text(form, "email"), network_hash,
        )  # fmt: skip
        await run_in_threadpool(mail.enqueue_verification, settings, order)
    except errors.NotFound:
        return await _render_page(request, did)
    except errors.Conflict:
        location = f"/vote/{did}"  # not in verified mode: the page says what it needs
    except errors.Throttled as exc:
        location = f"/vote/{did}?status={exc.code}&retry={exc.retry_after}"
    except errors.Invalid as exc:
        location = f"/vote/{did}?status={exc.code}"
    return RedirectResponse(location, status_code=303)


def _signer(request: Request) -> verify.LinkSigner:
    return verify.LinkSigner(request.app.state.settings.secret_key_value())


def _link_page(
    request: Request, token: str, *, status: str | None, status_code: int, did: str = ""
) -> Response:
    """The confirm page (one button) or, with ``status``, why the link cannot be used."""
    ingest = ingest_for(request)
    voter_id = ingest.secrets.valid_voter_cookie(request.cookies.get(VOTER_COOKIE))
    new_voter = voter_id is None
    voter_id = voter_id or new_voter_id()
    show_form = status in (None, "csrf_invalid")
    context = {
        "token": token,
        "duel_id": did,
        "status": status,
        "show_form": show_form,
        "csrf": ingest.secrets.csrf_token(voter_id),
    }
    response = render(request, "verify.html", context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    if new_voter and show_form:
        set_voter_cookie(response, ingest, voter_id)
    return response


@router.get("/verify/{token}", include_in_schema=False)
async def confirm_page(token: str, request: Request) -> Response:
    try:
        link = _signer(request).read(token)
    except verify.LinkRefused as exc:
        return _link_page(
            request, token, status=exc.code, status_code=_LINK_STATUS[exc.code], did=exc.duel
        )
    if await run_in_threadpool(verify.is_used, request.app.state.store, link):
        return _link_page(request, token, status="verify_used", status_code=409, did=link.duel)
    return _link_page(request, token, status=None, status_code=200, did=link.duel)


@router.post("/verify/{token}", include_in_schema=False)
async def confirm(token: str, request: Request) -> Response:
    ingest = ingest_for(request)
    if (await read_audience_form(request, ingest, max_fields=4)).refusal:
        return _link_page(request, token, status="csrf_invalid", status_code=403)
    try:
        link = _signer(request).read(token)
        await run_in_threadpool(verify.confirm, request.app.state.store, link)
    except verify.LinkRefused as exc:
        return _link_page(
            request, token, status=exc.code, status_code=_LINK_STATUS[exc.code], did=exc.duel
        )
    admitted = AdmissionPass(link.competition, "e", link.subject, 0)
    response = RedirectResponse(f"/vote/{link.duel}?status=email_confirmed", status_code=303)
    set_admission_cookie(response, ingest, admitted)
    return response
