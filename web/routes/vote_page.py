"""The audience's vote page: the page itself (with the admission it asks for), the
presence scan of the stage screen's code, and the vote as a form post without JavaScript."""

from __future__ import annotations

import orjson
from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from duels import errors, keys
from duels.records import counts_public
from voting import reach
from voting.admission import ADMISSION_COOKIE, PRESENCE_PARAM
from voting.ingest import VoteIngest, difficulty_for, mint_key
from voting.page import DuelView, load_duel, mark_present
from voting.page_reader import PageReader
from voting.tokens import VOTER_COOKIE, new_voter_id
from web import branding, link_preview, metrics, vote_result
from web.audience import client_ip, form_text, read_audience_form, set_voter_cookie
from web.routes.places import cards_context
from web.routes.vote import MAX_TEAM_ID_CHARS, _ballot, _invalid_body, cast, ingest_for
from web.templating import render

router = APIRouter()

# Status codes the page explains after a form post (anything else is ignored).
PAGE_STATUSES = frozenset(
    {
        "counted", "already_voted", "voting_closed", "throttled", "pow_required", "pow_invalid",
        "team_not_in_duel", "invalid_body", "voter_token_missing", "voter_token_invalid",
        "csrf_invalid", "unknown_duel", "presence_required", "presence_stale",
        "presence_invalid", "present", "code_required", "email_required", "admission_revoked",
        "email_sent", "email_confirmed", "email_invalid", "email_disposable", "email_throttled",
        "code_claimed", "code_unknown", "code_revoked", "code_claimed_elsewhere",
        "code_attempts_throttled",
    }
)  # fmt: skip


@router.get("/vote/{did}", include_in_schema=False)
async def vote_page(did: str, request: Request) -> Response:
    presence = request.query_params.get(PRESENCE_PARAM)
    if presence is not None:
        return await _scan_presence(request, did, presence)
    return await _render_page(request, did)


async def _scan_presence(request: Request, did: str, token: str) -> Response:
    """A phone scanned the stage screen's rotating code: mark its voter present for the
    duel, then show the page under its plain address (the code is not kept in the URL)."""
    ingest = ingest_for(request)
    try:
        slot = ingest.admission.check_presence(did, token[:64])
    except errors.DomainError as exc:
        metrics.votes_rejected.labels(reason=exc.code).inc()
        return await _render_page(request, did, status=exc.code, status_code=403)
    voter_id = ingest.secrets.valid_voter_cookie(request.cookies.get(VOTER_COOKIE))
    new_voter = voter_id is None
    voter_id = voter_id or new_voter_id()
    client = request.app.state.redis
    if not await client.exists(keys.duel(did)):
        return await _render_page(request, did)
    await mark_present(client, did, voter_id, slot)
    response = RedirectResponse(f"/vote/{did}?status=present", status_code=303)
    response.headers["Cache-Control"] = "no-store"
    if new_voter:
        await _new_voter(request, ingest, did)
        set_voter_cookie(response, ingest, voter_id)
    return response


async def _new_voter(request: Request, ingest: VoteIngest, did: str) -> None:
    network_hash, _ = ingest.secrets.client_hashes(client_ip(request))
    await ingest.record_new_voter(did, network_hash)


def _page_reader(request: Request) -> PageReader:
    """The process' page reader, built on first use against the app's Redis client."""
    state = request.app.state
    reader: PageReader | None = getattr(state, "page_reader", None)
    if reader is None or reader.client is not state.redis:
        reader = PageReader(state.redis, timeout=state.settings.redis_timeout * 2)
        state.page_reader = reader
    return reader


async def _render_page(
    request: Request, did: str, *, status: str | None = None, status_code: int = 200
) -> Response:
    ingest = ingest_for(request)
    voter_id = ingest.secrets.valid_voter_cookie(request.cookies.get(VOTER_COOKIE))
    new_voter = voter_id is None
    admitted = ingest.admission.read_pass(request.cookies.get(ADMISSION_COOKIE))
    network_hash, _ = ingest.secrets.client_hashes(client_ip(request))
    # A phone without a cookie gets its voter id now: its view counts under it.
    page_voter = voter_id or new_voter_id()
    # One round trip: the duel, this voter's state, a new voter counted for its network,
    # and the view counted for the reach figures (once per voter and day, bots not).
    loaded = await _page_reader(request).load(
        did,
        voter_id,
        admitted.subject_id if admitted else None,
        admitted.competition if admitted else "",
        valid_ms=ingest.settings.presence_valid_seconds * 1000,
        network_key=mint_key(did, network_hash),
        mint_interval_us=ingest.mint_interval_us,
        new_voter=new_voter,
        viewer=reach.viewer(page_voter, request.headers.get("user-agent", "")),
        day=reach.today(),
    )
    if loaded is None:
        response = render(request, "vote.html", {"duel": None}, status_code=404)
        response.headers["Cache-Control"] = "no-store"
        return response
    duel, voter, minted = loaded
    voter_id = page_voter
    if admitted is not None and admitted.competition != duel.competition:
        admitted = None
    if status is None:
        asked = request.query_params.get("status", "")
        status = asked if asked in PAGE_STATUSES else None
    retry = request.query_params.get("retry", "")
    retry_after = min(int(retry), 3600) if retry.isdigit() else 1
    is_open = duel.is_open()
    mode = duel.admission or "open"
    admitted_here = (
        (mode == "venue" and voter.present)
        or (mode == "codes" and admitted is not None and admitted.kind == "k")
        or (mode == "verified" and admitted is not None and admitted.kind == "e")
        or mode == "open"
    )
    if status == "present" and not voter.present:
        status = None  # the page says what is true, whatever the address bar claims
    ended = duel.status in vote_result.ENDED  # the page shows the result instead
    if status is None and not is_open and not ended:
        status = "voting_closed"
    elif status is None and is_open and voter.voted:
        status = "already_voted"
    elif status is None and is_open and not admitted_here:
        status = {"venue": "presence_required", "codes": "code_required"}.get(
            mode, "email_required"
        )
    # Not even in the page's hidden elements while the host hides the results.
    counts = voter.counts if counts_public(duel.status, duel.show_results) else {}
    total = sum(counts.get(side.team_id, 0) for side in duel.sides)
    outcome = None if is_open else await _outcome(request, duel)
    context = {
        "duel": duel,
        "mode": mode,
        "admitted": admitted_here,
        "csrf": ingest.secrets.csrf_token(voter_id),
        "status": status,
        "retry_after": retry_after,
        "can_vote": is_open and not voter.voted and admitted_here,
        "show_counts": duel.show_results and not ended and (voter.voted or status == "counted"),
        "counts": counts,
        "total": total,
        "outcome": outcome,
        # Solved by vote.js while the phone shows the videos: the vote needs no extra trip.
        "challenge": _challenge(ingest, duel, minted) if is_open and admitted_here else "",
        "brand": await branding.context_async(request, duel.competition),
        **link_preview.duel_context(request, duel),
    }
    # "Ausbildung bei <Firma>" (#19) once this phone has voted or the duel has ended: the
    # page before the vote reads nothing more than its one round trip.
    if voter.voted or status == "counted" or (outcome is not None and outcome.ended):
        context.update(await _apprentice(request, duel))
    response = render(request, "vote.html", context, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    if new_voter:
        set_voter_cookie(response, ingest, voter_id)
    return response


def _challenge(ingest: VoteIngest, duel: DuelView, minted: int) -> str:
    """The proof-of-work this phone's vote needs, as JSON; "" when none is asked."""
    settings = ingest.settings
    difficulty = difficulty_for(settings, duel.admission, minted)
    if difficulty == 0:
        return ""
    issued = ingest.secrets.issue_challenge(duel.id, difficulty, settings.challenge_ttl_seconds)
    return orjson.dumps(issued.as_json()).decode()


async def _outcome(request: Request, duel: DuelView) -> vote_result.Outcome:
    names = {side.team_id: side.name for side in duel.sides}
    return await run_in_threadpool(vote_result.outcome, request.app.state.store, duel.id, names)


async def _apprentice(request: Request, duel: DuelView) -> dict[str, object]:
    teams = [side.team_id for side in duel.sides]
    return await cards_context(request, duel.competition, duel.id, teams, duel.trade)


@router.get("/vote/{did}/result", include_in_schema=False)
async def result_fragment(did: str, request: Request) -> HTMLResponse:
    """The page's result box alone, for ``vote_result.js`` to swap in when the host
    closes, reveals or decides."""
    duel = await load_duel(request.app.state.redis, did)
    if duel is None:
        raise errors.NotFound(f"Unknown duel {did!r}.", code="unknown_duel")
    outcome = await _outcome(request, duel)
    context = {"duel": duel, "outcome": outcome}
    if outcome.ended:
        context.update(await _apprentice(request, duel))
    response = render(request, "_vote_result.html", context)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/vote/{did}", include_in_schema=False)
async def vote_form(did: str, request: Request) -> Response:
    """The same vote without JavaScript: form post, then 303 back to the page."""
    ingest = ingest_for(request)
    posted = await read_audience_form(request, ingest)
    form, voter_id = posted.form, posted.voter_id
    if posted.refusal:
        metrics.votes_rejected.labels(reason=posted.refusal).inc()
        if posted.refusal == "csrf_invalid":
            return await _render_page(request, did, status="csrf_invalid", status_code=403)
        return RedirectResponse(f"/vote/{did}?status={posted.refusal}", status_code=303)
    team_id = form_text(form, "team_id")
    location = f"/vote/{did}?status=counted"
    try:
        if not 0 < len(team_id) <= MAX_TEAM_ID_CHARS:
            raise _invalid_body("Choose a team.")
        agent = request.headers.get("user-agent", "")
        admitted = ingest.admission.read_pass(request.cookies.get(ADMISSION_COOKIE))
        ballot = _ballot(ingest, did, voter_id, team_id, client_ip(request), agent, None, admitted)
        await cast(request.app, ingest, ballot)
    except errors.StoreUnavailable:
        raise
    except errors.DomainError as exc:
        metrics.votes_rejected.labels(reason=exc.code).inc()
        location = f"/vote/{did}?status={exc.code}"
        if isinstance(exc, errors.Throttled):
            location += f"&retry={exc.retry_after}"
    else:
        metrics.votes_accepted.inc()
    return RedirectResponse(location, status_code=303)
