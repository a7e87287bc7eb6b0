"""Audience voting: the mobile vote page, its no-JS form post, the JSON vote API
(hot path) and proof-of-work challenges."""

from __future__ import annotations

import gc
from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from duels import errors, keys
from voting.admission import ADMISSION_COOKIE, AdmissionPass, cookie_value
from voting.ingest import (
    Accepted,
    Ballot,
    PowRequired,
    VoteIngest,
)
from voting.tokens import (
    MAX_NONCE_CHARS,
    VOTER_COOKIE,
    SolvedChallenge,
)
from web import metrics
from web.audience import client_ip
from web.errors import domain_error_response, error_body
from web.responses import JSONResponse
from web.tally_trigger import TallyTrigger

router = APIRouter()

MAX_BODY_BYTES = 4096
MAX_TEAM_ID_CHARS = 64
MAX_AGENT_CHARS = 512
VOTE_BODY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["team_id"],
    "properties": {
        "team_id": {"type": "string", "maxLength": MAX_TEAM_ID_CHARS},
        "pow": {
            "type": "object",
            "description": "Solved proof-of-work, when the server asked for one.",
            "required": ["challenge", "nonce"],
            "properties": {
                "challenge": {"type": "string"},
                "nonce": {"type": "string", "maxLength": MAX_NONCE_CHARS},
            },
        },
    },
}


def ingest_for(request: Request) -> VoteIngest:
    return _ingest_of(request.app)


def _ingest_of(app: Any) -> VoteIngest:
    """The process' vote ingest, built on first use against the app's Redis client."""
    state = app.state
    ingest: VoteIngest | None = getattr(state, "vote_ingest", None)
    if ingest is None or ingest.batcher.client is not state.redis:
        ingest = VoteIngest(state.redis, state.settings)
        state.vote_ingest = ingest
        state.tally_trigger = TallyTrigger(state.settings)
        _freeze_startup_heap()
    return ingest


async def cast(app: Any, ingest: VoteIngest, ballot: Ballot) -> Accepted:
    """One vote through the ingest script; queues the duel's tally when it became pending."""
    accepted = await ingest.cast(ballot)
    if accepted.tally_pending:
        app.state.tally_trigger.request(ballot.duel_id)
    return accepted


_heap_frozen = False


def _freeze_startup_heap() -> None:
    """Once per process: move everything allocated so far (app, routes, modules) into the
    GC's permanent generation. Otherwise each full collection under vote load scans the
    whole startup heap and stalls the event loop ~100 ms (measured: p99 120 -> 20 ms)."""
    global _heap_frozen
    if not _heap_frozen:
        _heap_frozen = True
        gc.freeze()


def _ballot(
    ingest: VoteIngest, did: str, voter_id: str, team_id: str, ip: str, agent: str,
    proof: SolvedChallenge | None, admitted: AdmissionPass | None,
) -> Ballot:  # fmt: skip
    network_hash, ip_hash = ingest.secrets.client_hashes(ip)
    agent_hash, ip_agent_hash = ingest.secrets.agent_hashes(ip, agent[:MAX_AGENT_CHARS])
    return Ballot(
        did, team_id, voter_id, network_hash, agent_hash, ip_hash, ip_agent_hash, proof, admitted
    )


def _invalid_body(message: str) -> errors.Invalid:
    return errors.Invalid(message, code="invalid_body")


def _parse_vote(raw: bytes) -> tuple[str, tuple[str, str] | None]:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise _invalid_body("The body is not JSON.") from exc
    if not isinstance(body, dict):
        raise _invalid_body('Send {"team_id": "..."}.')
    team_id = body.get("team_id")
    if not isinstance(team_id, str) or not 0 < len(team_id) <= MAX_TEAM_ID_CHARS:
        raise _invalid_body("team_id must be a non-empty string.")
    pow_field = body.get("pow")
    if pow_field is None:
        return team_id, None
    if not isinstance(pow_field, dict):
        raise _invalid_body("pow must be an object with challenge and nonce.")
    challenge, nonce = pow_field.get("challenge"), pow_field.get("nonce")
    if isinstance(nonce, int) and not isinstance(nonce, bool):
        nonce = str(nonce)
    if not isinstance(challenge, str) or not isinstance(nonce, str):
        raise _invalid_body("pow must be an object with challenge and nonce.")
    return team_id, (challenge, nonce)


async def _pow_response(
    app: Any, ingest: VoteIngest, did: str, ip: str, error: errors.DomainError
) -> Response:
    """403 pow_required / pow_invalid, with a fresh challenge to solve."""
    difficulty = error.difficulty if isinstance(error, PowRequired) else 0
    if difficulty == 0:
        network_hash, _ = ingest.secrets.client_hashes(ip)
        difficulty = await ingest.required_difficulty(did, network_hash)
    challenge = ingest.secrets.issue_challenge(
        did, difficulty, ingest.settings.challenge_ttl_seconds
    )
    body = error_body(error.code, error.message)
    return JSONResponse(
        {"detail": {**body["detail"], "challenge": challenge.as_json()}}, status_code=403
    )


def _accepted_body(accepted: Accepted) -> dict[str, Any]:
    body: dict[str, Any] = {"vote_id": accepted.vote_id, "status": "counted"}
    if accepted.counts is not None:
        body["counts"] = accepted.counts
    return body


async def _vote(
    app: Any, did: str, headers: dict[bytes, bytes], ip: str, receive: Receive
) -> Response | bytes:
    """One JSON vote: the 202 body as bytes, or the refusal as a Response."""
    ingest = _ingest_of(app)
    try:
        cookies = headers.get(b"cookie", b"").decode("latin-1")
        voter_id = ingest.secrets.voter_from_cookie(cookie_value(cookies, VOTER_COOKIE))
        content_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip()
        if content_type != b"application/json":
            # Cross-site forms cannot send JSON without a CORS preflight (CSRF guard).
            raise errors.UnsupportedMedia(
                "Send the vote as application/json.", code="json_required"
            )
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            raise _invalid_body("The body is too large.")
        team_id, pow_solution = _parse_vote(await _read_body(receive))
        proof = ingest.secrets.check_solution(did, *pow_solution) if pow_solution else None
        agent = headers.get(b"user-agent", b"").decode("latin-1")
        admitted = ingest.admission.read_pass(cookie_value(cookies, ADMISSION_COOKIE))
        accepted = await cast(
            app, ingest, _ballot(ingest, did, voter_id, team_id, ip, agent, proof, admitted)
        )
    except errors.DomainError as exc:
        metrics.votes_rejected.labels(reason=exc.code).inc()
        if exc.code in ("pow_required", "pow_invalid"):
            return await _pow_response(app, ingest, did, ip, exc)
        return domain_error_response(exc)
    metrics.votes_accepted.inc()
    return orjson.dumps(_accepted_body(accepted))


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _invalid_body("The client went away.")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _invalid_body("The body is too large.")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


_ACCEPTED_HEADERS = [(b"content-type", b"application/json")]


async def serve_vote(scope: Scope, receive: Receive, send: Send) -> None:
    """The hot path as bare ASGI (no Request, no dependency solving, no pydantic), served by
    the front door (web/front_door.py) before the middleware stack."""
    client = scope.get("client")
    result = await _vote(
        scope["app"], scope["path_params"]["did"], dict(scope["headers"]),
        client[0] if client else "unknown", receive,
    )  # fmt: skip
    if isinstance(result, Response):
        await result(scope, receive, send)
        return
    headers = [*_ACCEPTED_HEADERS, (b"content-length", str(len(result)).encode())]
    await send({"type": "http.response.start", "status": 202, "headers": headers})
    await send({"type": "http.response.body", "body": result})


@router.post(
    "/api/duels/{did}/votes",
    status_code=202,
    tags=["audience"],
    summary="Cast a vote (needs the voter cookie of the vote page)",
    description=(
        "202 `{vote_id}` (+ `counts` when the duel shows results); 409 `already_voted` / "
        "`voting_closed`; 429 `throttled` with Retry-After; 404 `unknown_duel`; 422 "
        "`invalid_body` / `team_not_in_duel`; 401 `voter_token_missing`; 403 "
        "`voter_token_invalid`, `pow_required` / `pow_invalid` (with a fresh `challenge`); "
        "403 when the duel's admission mode does not admit this phone: `presence_required` "
        "(venue: scan the stage screen's code), `code_required` (codes), `email_required` "
        "(verified), `admission_revoked`; 409 `already_voted` also when the code or address "
        "voted in this duel; "
        "415 `json_required`; 503 when the vote store is unavailable."
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": VOTE_BODY_SCHEMA}},
        }
    },
)
async def cast_vote(did: str, request: Request) -> Response:
    # Documents the endpoint; the front door serves its requests (``serve_vote``, same logic).
    headers = {name.lower(): value for name, value in request.headers.raw}
    result = await _vote(request.app, did, headers, client_ip(request), request.receive)
    if isinstance(result, Response):
        return result
    return Response(result, status_code=202, media_type="application/json")


@router.get(
    "/api/duels/{did}/challenge",
    tags=["audience"],
    summary="A signed, expiring proof-of-work challenge for this duel",
    description=(
        "Find a nonce so that SHA-256 of `challenge + ':' + nonce` starts with `difficulty` "
        "zero bits, and send `{challenge, nonce}` as `pow` with the vote. Difficulty 0: "
        "nothing to solve."
    ),
)
async def challenge(did: str, request: Request) -> Response:
    ingest = ingest_for(request)
    client = request.app.state.redis
    if not await client.exists(keys.duel(did)):
        raise errors.NotFound("There is no such duel.", code="unknown_duel")
    network_hash, _ = ingest.secrets.client_hashes(client_ip(request))
    difficulty = await ingest.required_difficulty(did, network_hash)
    issued = ingest.secrets.issue_challenge(did, difficulty, ingest.settings.challenge_ttl_seconds)
    return JSONResponse(issued.as_json(), headers={"Cache-Control": "no-store"})


# Vote page and its form post (works without JavaScript) ---------------------------------
