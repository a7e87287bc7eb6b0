"""Attendee codes for the audience: the page a card's QR opens, and claiming a code there
or on a vote page. Claiming sets the admission pass cookie.

``GET /code/{code}`` only shows the code and one button: messenger link previews fetch
links, so only the POST (CSRF-checked, tied to the voter cookie) claims it.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse, Response

from duels import codes, errors, keys
from voting import codes as derived
from voting.admission import AdmissionPass
from voting.page import DuelView, load_duel
from voting.tokens import VOTER_COOKIE, new_voter_id
from web.audience import (
    client_ip,
    form_text,
    read_audience_form,
    set_admission_cookie,
    set_voter_cookie,
)
from web.errors import status_for
from web.routes.vote import ingest_for
from web.templating import render

router = APIRouter()

# Statuses the card page explains (anything else in ?status= is ignored).
_CARD_STATUSES = frozenset({"code_claimed"})


def code_book(request: Request) -> derived.CodeBook:
    settings = request.app.state.settings
    return derived.CodeBook(settings.secret_key_value(), ingest_for(request).admission)


def _card_page(
    request: Request, text: str, *, status: str | None = None, status_code: int = 200,
    retry_after: int = 0,
) -> Response:  # fmt: skip
    ingest = ingest_for(request)
    voter_id = ingest.secrets.valid_voter_cookie(request.cookies.get(VOTER_COOKIE))
    new_voter = voter_id is None
    voter_id = voter_id or new_voter_id()
    code = derived.normalise(text)
    context = {
        "code": derived.display(code) if code else text[: derived.MAX_INPUT_CHARS],
        "csrf": ingest.secrets.csrf_token(voter_id),
        "status": status,
        "retry_after": retry_after,
    }
    response = render(request, "code.html", context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    if new_voter:
        set_voter_cookie(response, ingest, voter_id)
    return response


@router.get("/code", include_in_schema=False)
async def empty_card_page(request: Request) -> Response:
    return _card_page(request, "")


@router.get("/code/{text}", include_in_schema=False)
async def card_page(text: str, request: Request) -> Response:
    return _card_page(request, text)


async def _claim(request: Request, cid: str | None, text: str, voter_id: str) -> AdmissionPass:
    """Claim a typed or scanned code for this phone (``cid`` None: the code says which)."""
    settings = request.app.state.settings
    client = request.app.state.store
    ingest = ingest_for(request)
    network_hash, _ = ingest.secrets.client_hashes(client_ip(request))
    code = derived.normalise(text)
    subject = code_book(request).subject(code) if code else ""
    limit = settings.code_claim_failures_per_minute
    if cid is None:
        cid = await run_in_threadpool(
            codes.competition_of, client, subject, network_hash, failures_per_minute=limit
        )
    claimed = await run_in_threadpool(
        codes.claim, client, cid, subject, voter_id, network_hash,
        policy=settings.code_second_phone, failures_per_minute=limit,
    )  # fmt: skip
    return AdmissionPass(claimed.competition, "k", claimed.subject, claimed.generation)


def _with_pass(request: Request, response: Response, admitted: AdmissionPass) -> Response:
    set_admission_cookie(response, ingest_for(request), admitted)
    return response


@router.post("/code", include_in_schema=False)
async def claim_from_card(request: Request) -> Response:
    ingest = ingest_for(request)
    posted = await read_audience_form(request, ingest, max_fields=4)
    text, voter_id = form_text(posted.form, "code")[: derived.MAX_INPUT_CHARS], posted.voter_id
    if posted.refusal:
        status_code = 403 if posted.refusal == "csrf_invalid" else 400
        return _card_page(request, text, status=posted.refusal, status_code=status_code)
    try:
        admitted = await _claim(request, None, text, voter_id)
    except (errors.NotFound, errors.Forbidden, errors.Conflict, errors.Throttled) as exc:
        retry = exc.retry_after if isinstance(exc, errors.Throttled) else 0
        page = _card_page(
            request, text, status=exc.code, status_code=status_for(exc), retry_after=retry
        )
        if retry:
            page.headers["Retry-After"] = str(retry)
        return page
    opened = await _open_duels(request, admitted.competition)
    location = (
        f"/vote/{opened[0].id}?status=code_claimed"
        if len(opened) == 1
        else f"/code/duels/{admitted.competition}?status=code_claimed"
    )
    return _with_pass(request, RedirectResponse(location, status_code=303), admitted)


@router.post("/vote/{did}/code", include_in_schema=False)
async def claim_on_vote_page(did: str, request: Request) -> Response:
    """The code form of the vote page: claim for the duel's competition, 303 back."""
    ingest = ingest_for(request)
    posted = await read_audience_form(request, ingest)
    form, voter_id = posted.form, posted.voter_id
    if posted.refusal:
        return RedirectResponse(f"/vote/{did}?status={posted.refusal}", status_code=303)
    duel = await load_duel(request.app.state.redis, did)
    if duel is None:
        return RedirectResponse(f"/vote/{did}", status_code=303)
    try:
        admitted = await _claim(request, duel.competition, form_text(form, "code"), voter_id)
    except (errors.NotFound, errors.Forbidden, errors.Conflict, errors.Throttled) as exc:
        location = f"/vote/{did}?status={exc.code}"
        if isinstance(exc, errors.Throttled):
            location += f"&retry={exc.retry_after}"
        return RedirectResponse(location, status_code=303)
    response = RedirectResponse(f"/vote/{did}?status=code_claimed", status_code=303)
    return _with_pass(request, response, admitted)


async def _open_duels(request: Request, cid: str) -> list[DuelView]:
    client = request.app.state.redis
    duel_ids = sorted(str(did) for did in await client.hvals(keys.duel_index(cid)))
    found = [await load_duel(client, did) for did in duel_ids]
    return [duel for duel in found if duel is not None and duel.is_open()]


@router.get("/code/duels/{cid}", include_in_schema=False)
async def open_duels_page(cid: str, request: Request) -> Response:
    """After claiming from a card: the competition's open duels (none or several)."""
    client = request.app.state.redis
    if not await client.exists(keys.competition(cid)):
        raise errors.NotFound("There is no such competition.", code="unknown_competition")
    opened = await _open_duels(request, cid)
    status = request.query_params.get("status")
    context = {
        "cid": cid,
        "duels": opened,
        "status": status if status in _CARD_STATUSES else None,
    }
    response = render(request, "code_duels.html", context)
    response.headers["Cache-Control"] = "no-store"
    return response
