"""Organiser endpoints of API.md (bearer host token or personal API key): set up, draw,
open/close, advance. Each route names the permission it needs (web/deps.py)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from duels import (
    access,
    admission,
    errors,
    jury,
    organisations,
    round_voting,
    store,
    tournament,
    views,
)
from duels.records import AdmissionMode, Duel
from web.deps import Configurer, Juror, Reader, Runner

router = APIRouter(tags=["host"])

TieBreaker = Literal["jury", "fewer_quarantined", "seeded_draw"]


class CompetitionIn(BaseModel):
    title: str = Field(min_length=1, max_length=120)
    slug: str | None = Field(default=None, max_length=63)
    audience_weight: float = Field(default=1.0, ge=0, le=1)
    tie_breakers: tuple[TieBreaker, ...] = ("jury", "fewer_quarantined", "seeded_draw")
    organisation: str = Field(
        default=organisations.DEFAULT,
        max_length=40,
        description="The organisation that owns it (you need the host or owner role there).",
    )
    admission: AdmissionMode = Field(
        default="open",
        description="Who may vote: venue (scanned the stage screen's rotating code), codes "
        "(printed attendee codes), verified (confirmed e-mail), open (anyone with the link).",
    )


class AdmissionIn(BaseModel):
    mode: AdmissionMode | None = Field(
        description="venue, codes, verified or open; for a duel, null = the competition's."
    )


class CompanyIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)


class TeamIn(BaseModel):
    company_id: str = Field(max_length=40)
    name: str = Field(min_length=1, max_length=80)
    trade: str = Field(min_length=1, max_length=80)
    members: tuple[str, ...] = Field(default=(), max_length=store.MAX_MEMBERS)


class DrawIn(BaseModel):
    format: Literal[
        "single_elimination", "double_elimination", "round_robin", "groups", "swiss"
    ] = "single_elimination"
    seeding: Literal["random", "manual", "ranking"] = "random"
    seed: int | None = Field(default=None, ge=0, le=2**53)
    order: list[str] | None = Field(default=None, max_length=1024)
    third_place: bool = Field(default=False, description="A duel for third place in the knockout")
    groups: int = Field(default=0, ge=0, le=64, description='"groups": how many groups')
    advance: int = Field(
        default=0,
        ge=0,
        le=1024,
        description='"groups": teams per group into the knockout (default 2); "swiss": teams '
        "into a knockout after the Swiss rounds (0: no knockout, the Swiss leader wins)",
    )
    best_placed: int = Field(
        default=0, ge=0, le=64, description='"groups": also the best next-placed teams'
    )
    swiss_rounds: int = Field(
        default=0, ge=0, le=64, description='"swiss": rounds (0: enough for one unbeaten team)'
    )
    best_of: int = Field(
        default=1, ge=1, le=5, description="Challenges per duel, each with its own vote"
    )


class OpenIn(BaseModel):
    closes_at: float | None = Field(default=None, description="Epoch seconds; unset = open end")
    show_results: bool | None = None


class ReasonIn(BaseModel):
    reason: str = Field(default="", max_length=500)


class WinnerIn(BaseModel):
    winner: str = Field(max_length=40)
    reason: str = Field(min_length=1, max_length=500)


class JuryIn(BaseModel):
    home: float = Field(ge=0, le=10_000)
    away: float = Field(ge=0, le=10_000)


class ChallengeIn(BaseModel):
    trade: str = Field(min_length=1, max_length=80)
    title: str = Field(min_length=1, max_length=120)


class AdvanceIn(BaseModel):
    round: int | None = Field(default=None, description="Refuse if the bracket is elsewhere")


def _client(request: Request) -> Any:
    return request.app.state.store


def _duel_out(duel: Duel) -> dict[str, Any]:
    out = duel.to_redis()
    out.update(
        round=duel.round,
        show_results=duel.show_results,
        opens_at=duel.opens_at,
        closes_at=duel.closes_at,
        jury_home=duel.jury_home,
        jury_away=duel.jury_away,
        leg=duel.leg,
        legs=duel.legs,
    )
    return out


@router.post("/api/competitions", status_code=201, summary="Create a competition")
def create_competition(body: CompetitionIn, request: Request, by: Configurer) -> dict[str, Any]:
    client = _client(request)
    organisations.get_organisation(client, body.organisation)
    access.require_in_organisation(client, by, access.Permission.CONFIGURE, body.organisation)
    admission.check_mode_usable(body.admission, mail_ready=request.app.state.settings.mail_ready)
    competition = store.create_competition(
        client,
        body.title,
        body.slug,
        audience_weight=body.audience_weight,
        tie_breakers=body.tie_breakers,
        admission=body.admission,
        organisation=body.organisation,
        actor=by.actor,
    )
    return competition.public()


@router.post(
    "/api/competitions/{cid}/admission",
    summary="Set who may vote in the competition's duels that have not opened yet",
    description="409 `smtp_required` for `verified` in production without MACHMAL_SMTP_URL.",
)
def set_competition_admission(
    cid: str, body: AdmissionIn, request: Request, by: Configurer
) -> dict[str, Any]:
    settings = request.app.state.settings
    competition = admission.set_competition_mode(
        _client(request), cid, body.mode or "open", mail_ready=settings.mail_ready, actor=by.actor
    )
    return competition.public()


@router.post(
    "/api/duels/{did}/admission",
    summary="Set who may vote in one duel (until it opens; null = the competition's mode)",
    description="409 `already_opened` once voting of the duel has opened.",
)
def set_duel_admission(
    did: str, body: AdmissionIn, request: Request, by: Configurer
) -> dict[str, Any]:
    settings = request.app.state.settings
    duel = admission.set_duel_mode(
        _client(request), did, body.mode or "", mail_ready=settings.mail_ready, actor=by.actor
    )
    return _duel_out(duel)


@router.post("/api/competitions/{cid}/companies", status_code=201, summary="Add a company")
def add_company(cid: str, body: CompanyIn, request: Request, by: Configurer) -> dict[str, Any]:
    company, token = store.add_company(_client(request), cid, body.name, actor=by.actor)
    settings = request.app.state.settings
    return {
        "id": company.id,
        "name": company.name,
        "competition": cid,
        "invite_token": token,
        "invite_url": f"{settings.public_url}/company/{token}",
    }


@router.get("/api/competitions/{cid}/companies", summary="Companies of a competition")
def list_companies(cid: str, request: Request, by: Reader) -> list[dict[str, Any]]:
    store.get_competition(_client(request), cid)
    return [{"id": c.id, "name": c.name} for c in store.list_companies(_client(request), cid)]


@router.post("/api/competitions/{cid}/teams", status_code=201, summary="Add a team")
def add_team(cid: str, body: TeamIn, request: Request, by: Configurer) -> dict[str, Any]:
    team = store.add_team(
        _client(request), cid, body.company_id, body.name, body.trade, body.members, actor=by.actor
    )
    return {
        "id": team.id,
        "competition": cid,
        "company_id": team.company_id,
        "name": team.name,
        "trade": team.trade,
        "members": list(team.members),
    }


@router.post("/api/competitions/{cid}/bracket", status_code=201, summary="Draw the bracket")
def draw_bracket(cid: str, body: DrawIn, request: Request, by: Runner) -> dict[str, Any]:
    tournament.draw(
        _client(request),
        cid,
        format=body.format,
        seeding=body.seeding,
        seed=body.seed,
        order=body.order,
        third_place=body.third_place,
        groups=body.groups,
        advance=body.advance,
        best_placed=body.best_placed,
        swiss_rounds=body.swiss_rounds,
        best_of=body.best_of,
        actor=by.actor,
    )
    return views.bracket_view(_client(request), cid)


@router.post("/api/duels/{did}/open", summary="Open voting")
def open_voting(
    did: str, request: Request, by: Runner, body: OpenIn | None = None
) -> dict[str, Any]:
    body = body or OpenIn()
    duel = tournament.open_voting(
        _client(request),
        did,
        closes_at=body.closes_at,
        show_results=body.show_results,
        require_videos=request.app.state.settings.require_approved_videos,
        mail_ready=request.app.state.settings.mail_ready,
        actor=by.actor,
    )
    return _duel_out(duel)


@router.post("/api/duels/{did}/close", summary="Close voting")
def close_voting(
    did: str, request: Request, by: Runner, body: ReasonIn | None = None
) -> dict[str, Any]:
    reason = body.reason if body else ""
    return _duel_out(tournament.close_voting(_client(request), did, reason=reason, actor=by.actor))


@router.post("/api/duels/{did}/challenge", summary="Set the duel's trade and challenge")
def set_challenge(did: str, body: ChallengeIn, request: Request, by: Configurer) -> dict[str, Any]:
    duel = tournament.set_challenge(_client(request), did, body.trade, body.title, actor=by.actor)
    return _duel_out(duel)


@router.post(
    "/api/duels/{did}/jury",
    summary="Jury points: a jury member's own points, or (owner, host token) the duel's",
    description="A jury member may score only the duels assigned to them, until the duel "
    "is decided (403 `not_your_duel`). Their points are kept per person; the duel's jury "
    "points are the sum of all jury members'.",
)
def set_jury(did: str, body: JuryIn, request: Request, by: Juror) -> dict[str, Any]:
    client = _client(request)
    duel = store.get_duel(client, did)
    if not access.may_judge(client, by, duel.competition, did):
        raise errors.Forbidden("This duel is not assigned to you.", code="not_your_duel")
    if by.user_id and not jury.scores_for_all(client, by, duel.competition):
        return _duel_out(jury.submit(client, did, by, body.home, body.away))
    return _duel_out(tournament.set_jury(client, did, body.home, body.away, actor=by.actor))


@router.post("/api/duels/{did}/walkover", summary="Walkover (withdrawal, no video)")
def walkover(did: str, body: WinnerIn, request: Request, by: Runner) -> dict[str, Any]:
    duel = tournament.walkover(_client(request), did, body.winner, body.reason, actor=by.actor)
    return _duel_out(duel)


@router.post("/api/duels/{did}/override", summary="Host decides, with a reason")
def override(did: str, body: WinnerIn, request: Request, by: Runner) -> dict[str, Any]:
    duel = tournament.override(_client(request), did, body.winner, body.reason, actor=by.actor)
    return _duel_out(duel)


@router.post("/api/competitions/{cid}/advance", summary="Decide the round, create the next")
def advance(
    cid: str, request: Request, by: Runner, body: AdvanceIn | None = None
) -> dict[str, Any]:
    expected = body.round if body else None
    tournament.advance(_client(request), cid, expected_round=expected, actor=by.actor)
    return views.bracket_view(_client(request), cid)


class RoundOpenIn(BaseModel):
    closes_at: float | None = Field(default=None, description="Epoch seconds; unset = open end")


def _round_voting_out(outcome: round_voting.RoundVoting) -> dict[str, Any]:
    return {"round": outcome.round, "duels": outcome.changed, "skipped": outcome.skipped}


@router.post(
    "/api/competitions/{cid}/round/open",
    summary="Open voting on every duel of the current round",
    description="Every duel (every challenge of a best-of-N duel) of the current round that "
    "has not opened yet opens, as with `POST /api/duels/{did}/open`; `duels` lists them. A "
    "duel that cannot open (e.g. `videos_not_approved`) is listed under `skipped` with its "
    "code and message, and the others open anyway.",
)
def open_round(
    cid: str, request: Request, by: Runner, body: RoundOpenIn | None = None
) -> dict[str, Any]:
    settings = request.app.state.settings
    outcome = round_voting.open_round(
        _client(request),
        cid,
        closes_at=body.closes_at if body else None,
        require_videos=settings.require_approved_videos,
        mail_ready=settings.mail_ready,
        actor=by.actor,
    )
    return _round_voting_out(outcome)


@router.post(
    "/api/competitions/{cid}/round/close",
    summary="Close voting on every duel of the current round",
)
def close_round(cid: str, request: Request, by: Runner) -> dict[str, Any]:
    return _round_voting_out(round_voting.close_round(_client(request), cid, actor=by.actor))


@router.post(
    "/api/competitions/{cid}/stage/finish",
    summary="Finish the stage: rank it, draw the next stage",
    description="When every duel of the group stage (or the Swiss rounds) is decided: the "
    "qualifiers go on in the order `GET /api/competitions/{cid}/bracket` shows under "
    "`qualification`, and the knockout's first round is created. 409 "
    "`stage_not_finished` before that; `round` refuses if the bracket is elsewhere.",
)
def finish_stage(
    cid: str, request: Request, by: Runner, body: AdvanceIn | None = None
) -> dict[str, Any]:
    expected = body.round if body else None
    tournament.finish_stage(_client(request), cid, expected_round=expected, actor=by.actor)
    return views.bracket_view(_client(request), cid)


@router.post("/api/competitions/{cid}/undo", summary="Undo the last bracket change")
def undo(cid: str, body: ReasonIn, request: Request, by: Runner) -> dict[str, Any]:
    tournament.undo(_client(request), cid, reason=body.reason, actor=by.actor)
    return views.bracket_view(_client(request), cid)


@router.get("/api/competitions/{cid}/audit", summary="Audit log of host actions")
def audit_log(cid: str, request: Request, by: Reader) -> list[dict[str, str]]:
    return store.audit_log(_client(request), cid)
