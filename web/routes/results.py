"""Results: a duel's counts, the leaderboard, and the host's review of quarantined votes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import redis
from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from bracket.placing import company_places
from duels import keys, store, tournament
from duels.access import Permission
from duels.records import Company, Duel, Team
from web.deps import Moderator, may
from workers import tally

router = APIRouter()


class ReviewIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="Why (kept in the audit log)")


def _client(request: Request) -> redis.Redis:
    client: redis.Redis = request.app.state.store
    return client


def _is_host(request: Request) -> bool:
    """An organiser who may read this competition sees hidden counts too."""
    return may(request, Permission.READ)


@router.get(
    "/api/duels/{did}",
    tags=["audience"],
    summary="A duel with its teams, status and counts",
    description=(
        "`counts` are official (tallied) votes per team, `quarantined` the votes held back "
        "for review, `provisional` the votes accepted so far; `is_provisional` is true while "
        "voting is open. When the duel hides running results (`show_results` false), the "
        "counts are null for the audience until the duel is decided. 404 `unknown_duel`."
    ),
)
def get_duel(did: str, request: Request) -> dict[str, Any]:
    return duel_result(_client(request), did, host=_is_host(request))


@router.get(
    "/api/competitions/{cid}/leaderboard",
    tags=["audience"],
    summary="Teams ranked by official votes, companies by duels won",
    description=(
        "Companies rank by duels won, then by the bracket result (`bracket_place`: the "
        "best place of their teams, 1 = the champion's company, 2 = the runner-up's, ...), "
        "then by votes. For the audience, the votes of a duel that hides running results "
        "(`show_results` false) count only once it is decided; hosts see all. "
        "404 `unknown_competition`."
    ),
)
def get_leaderboard(cid: str, request: Request) -> dict[str, Any]:
    return leaderboard(_client(request), cid, host=_is_host(request))


@router.get(
    "/api/duels/{did}/quarantine",
    tags=["host"],
    summary="Quarantined votes by reason and network / user-agent group",
)
def list_quarantine(did: str, request: Request, by: Moderator) -> dict[str, Any]:
    client = _client(request)
    groups = tally.quarantine_groups(client, did)
    return {"duel": did, "groups": [group.public() for group in groups]}


@router.post(
    "/api/duels/{did}/quarantine/{group}/{action}",
    tags=["host"],
    summary="Include a quarantine group in the official counts, or exclude it",
    description=(
        "`action` is `include` or `exclude`; idempotent (including twice counts once; "
        "excluding an included group takes its votes back out); audited with `reason`. "
        "404 `unknown_duel` / `unknown_group`, 409 `already_decided`."
    ),
)
def review(
    did: str,
    group: str,
    action: Literal["include", "exclude"],
    body: ReviewIn,
    request: Request,
    by: Moderator,
) -> dict[str, Any]:
    client = _client(request)
    reviewed = tally.review_quarantine(
        client, did, group, include=action == "include", reason=body.reason, actor=by.actor
    )
    return {"group": reviewed.public(), "duel": duel_result(client, did, host=True)}


# Read models -----------------------------------------------------------------------


def duel_result(client: redis.Redis, did: str, *, host: bool = False) -> dict[str, Any]:
    duel = store.get_duel(client, did)
    pipe = client.pipeline(transaction=False)
    pipe.hgetall(keys.official(did))
    pipe.hgetall(keys.provisional(did))
    pipe.hmget(keys.teams(duel.competition), list(duel.teams))
    pipe.hgetall(keys.companies(duel.competition))
    official, provisional, team_records, company_records = pipe.execute()
    companies = _names(company_records.values(), Company.from_json)
    teams = []
    for team_id, raw, name, company_id in zip(
        duel.teams,
        team_records,
        (duel.home_name, duel.away_name),
        (duel.home_company, duel.away_company),
        strict=False,
    ):
        if raw:
            record = Team.from_json(raw)
            name, company_id = record.name, record.company_id
        teams.append(
            {
                "id": team_id,
                "name": name,
                "company_id": company_id,
                "company": companies.get(company_id, ""),
            }
        )
    counts, quarantined = tally.split_official({k: int(v) for k, v in official.items()}, duel.teams)
    visible = host or duel.counts_public
    return {
        **_duel_fields(duel),
        "teams": teams,
        "counts": counts if visible else None,
        "quarantined": quarantined if visible else None,
        "provisional": (
            {team: int(provisional.get(team, 0)) for team in duel.teams} if visible else None
        ),
        "is_provisional": duel.status == "voting",
    }


def _duel_fields(duel: Duel) -> dict[str, Any]:
    return {
        "id": duel.id,
        "competition": duel.competition,
        "match": duel.match,
        "round": duel.round,
        "status": duel.status,
        "trade": duel.trade,
        "title": duel.title,
        "opens_at": duel.opens_at,
        "closes_at": duel.closes_at,
        "show_results": duel.show_results,
        "winner": duel.winner or None,
        "decided_by": duel.decided_by or None,
    }


def leaderboard(client: redis.Redis, cid: str, *, host: bool = False) -> dict[str, Any]:
    store.get_competition(client, cid)
    teams = store.list_teams(client, cid)
    companies = store.list_companies(client, cid)
    pipe = client.pipeline(transaction=False)
    pipe.zrange(keys.board_votes(cid), 0, -1, withscores=True)
    pipe.zrange(keys.board_wins(cid), 0, -1, withscores=True)
    votes_raw, wins_raw = pipe.execute()
    votes = {str(member): int(score) for member, score in votes_raw}
    if not host:
        for team, hidden_votes in _hidden_votes(client, cid).items():
            votes[team] = votes.get(team, 0) - hidden_votes
    wins = {str(member): int(score) for member, score in wins_raw}
    company_names = {company.id: company.name for company in companies}
    team_rows: list[dict[str, Any]] = [
        {
            "team_id": team.id,
            "name": team.name,
            "company_id": team.company_id,
            "company": company_names.get(team.company_id, ""),
            "trade": team.trade,
            "votes": votes.get(team.id, 0),
        }
        for team in teams
    ]
    team_rows.sort(key=lambda row: (-row["votes"], str(row["name"]).lower(), row["team_id"]))
    company_votes: dict[str, int] = {}
    for row in team_rows:
        company_votes[row["company_id"]] = company_votes.get(row["company_id"], 0) + row["votes"]
    state = tournament.load_bracket(client, cid)
    places = company_places(state) if state else {}
    company_rows: list[dict[str, Any]] = [
        {
            "company_id": company.id,
            "name": company.name,
            "duels_won": wins.get(company.id, 0),
            "votes": company_votes.get(company.id, 0),
            "bracket_place": places.get(company.id),
        }
        for company in companies
    ]
    company_rows.sort(key=lambda row: (*_company_score(row), str(row["name"]).lower()))
    _rank(team_rows, lambda row: (row["votes"],))
    _rank(company_rows, _company_score)
    return {"competition": cid, "teams": team_rows, "companies": company_rows}


def _company_score(row: dict[str, Any]) -> tuple[int, ...]:
    """Ascending sort key: more duels won, then the better bracket place, then more votes."""
    place = row["bracket_place"]
    return (-row["duels_won"], place if place is not None else 1 << 30, -row["votes"])


def _hidden_votes(client: redis.Redis, cid: str) -> dict[str, int]:
    """Per team, the board votes of duels whose counts the audience may not see yet
    (each team's board entry keeps its votes per duel)."""
    hidden = [
        (team, duel.id)
        for duel in store.duels_of_competition(client, cid)
        if not duel.counts_public
        for team in duel.teams
    ]
    if not hidden:
        return {}
    pipe = client.pipeline(transaction=False)
    for team, did in hidden:
        pipe.hget(keys.board_team(cid, team), did)
    found: dict[str, int] = {}
    for (team, _), raw in zip(hidden, pipe.execute(), strict=True):
        found[team] = found.get(team, 0) + int(raw or 0)
    return found


def _rank(
    rows: Sequence[dict[str, Any]], score: Callable[[dict[str, Any]], tuple[int, ...]]
) -> None:
    """Standard competition ranking (1, 1, 3): equal scores share a rank."""
    previous: tuple[int, ...] | None = None
    rank = 0
    for position, row in enumerate(rows, start=1):
        current = score(row)
        if current != previous:
            rank, previous = position, current
        row["rank"] = rank


def _names(records: Any, parse: Callable[[str], Any]) -> dict[str, str]:
    parsed = (parse(raw) for raw in records)
    return {record.id: record.name for record in parsed}
