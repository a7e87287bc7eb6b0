"""Read models: the bracket as the live board and the API show it."""

from __future__ import annotations

from typing import Any

import redis

import bracket as engine
from duels import keys, stage_views, store, tournament
from duels.bracket_sync import duels_by_key
from duels.records import Duel, Team, leg_key


def bracket_view(client: redis.Redis, cid: str) -> dict[str, Any]:
    """``{"competition", "format", "round", "champion", "seed", "rounds": [...]}``;
    before the draw ``rounds`` is empty and ``format`` is None."""
    competition = store.get_competition(client, cid)
    state = tournament.load_bracket(client, cid)
    view: dict[str, Any] = {
        "competition": {"id": competition.id, "title": competition.title},
        "format": None,
        "seeding": None,
        "seed": None,
        "round": 0,
        "champion": None,
        "finished": False,
        "rounds": [],
    }
    if state is None:
        return view
    companies = {company.id: company.name for company in store.list_companies(client, cid)}
    teams = {team.id: _team_view(team, companies) for team in store.list_teams(client, cid)}
    duels = duels_by_key(client, cid)
    rounds: dict[int, list[dict[str, Any]]] = {}
    for match in state.matches:
        rounds.setdefault(match.round, []).append(_duel_view(match, duels, teams))
    champion = engine.champion(state)
    view.update(
        format=state.format,
        seeding=state.seeding,
        seed=state.seed,
        round=state.round,
        champion=_team(teams, champion) if champion else None,
        finished=engine.is_finished(state),
        rounds=[{"number": number, "duels": rounds[number]} for number in sorted(rounds)],
    )
    if state.stages:

        def team(team_id: str) -> dict[str, Any]:
            return _team(teams, team_id)

        view.update(
            stage=stage_views.stage_summary(state),
            groups=stage_views.group_tables(state, team),
            swiss=stage_views.swiss_standings(state, team),
            qualification=stage_views.qualification(state, team),
            best_of=state.best_of,
        )
    if state.format == "round_robin":
        view["standings"] = [
            {"team": _team(teams, s.team_id), "points": s.points, "wins": s.wins,
             "losses": s.losses, "votes_for": s.votes_for, "votes_against": s.votes_against}
            for s in engine.standings(state)
        ]  # fmt: skip
    return view


def _duel_view(
    match: engine.Match, duels: dict[str, Duel], teams: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    result = match.result
    duel = duels.get(match.id)
    legs = [duels.get(leg_key(match.id, leg)) for leg in range(1, match.legs + 1)]
    return {
        "id": duel.id if duel else None,
        "match": match.id,
        "stage": match.stage,
        "round": match.round,
        "status": duel.status if duel else ("decided" if result else "pending"),
        "trade": match.trade,
        "title": duel.title if duel else match.title,
        "admission": duel.admission if duel else "",
        "admission_choice": duel.admission_choice if duel else "",
        "results_mode": duel.results_mode if duel else "live",
        "revealed": bool(duel and duel.revealed_at is not None),
        "counts_public": duel.counts_public if duel else True,
        "home": _team(teams, match.home),
        "away": _team(teams, match.away) if match.away else None,
        "winner": result.winner if result else None,
        "decided_by": result.decided_by if result else None,
        "reason": result.reason if result else "",
        "scores": [
            {"criterion": s.criterion, "home": s.home, "away": s.away}
            for s in (result.scores if result else ())
        ],
        "legs": [
            {
                "leg": number,
                "id": leg.id if leg else None,
                "trade": leg.trade if leg else match.trade,
                "title": leg.title if leg else match.title,
                "status": leg.status if leg else "pending",
            }
            for number, leg in enumerate(legs, start=1)
        ],
    }


def _team_view(team: Team, companies: dict[str, str]) -> dict[str, Any]:
    return {
        "id": team.id,
        "name": team.name,
        "company": companies.get(team.company_id, ""),
        "company_id": team.company_id,
        "trade": team.trade,
    }


def _team(teams: dict[str, dict[str, Any]], team_id: str) -> dict[str, Any]:
    unknown = {"id": team_id, "name": team_id, "company": "", "company_id": "", "trade": ""}
    return teams.get(team_id, unknown)


RESULT_COLUMNS = (
    "round", "match", "leg", "duel", "status", "trade", "title",
    "home_team", "home_company", "home_votes", "home_jury", "home_quarantined",
    "away_team", "away_company", "away_votes", "away_jury", "away_quarantined",
    "winner", "decided_by", "reason",
)  # fmt: skip


def results_table(client: redis.Redis, cid: str) -> list[dict[str, Any]]:
    """One row per duel with votes, jury, quarantined, winner and how it was decided."""
    view = bracket_view(client, cid)
    duels = {duel.id: duel for duel in store.duels_of_competition(client, cid)}
    pipe = client.pipeline(transaction=False)
    ordered = [{**d, **leg} for r in view["rounds"] for d in r["duels"] for leg in d["legs"]]
    for entry in ordered:
        pipe.hgetall(keys.official(entry["id"] or ""))
    counts_of: list[dict[str, str]] = pipe.execute()
    rows = []
    for entry, counts in zip(ordered, counts_of, strict=True):
        duel = duels.get(entry["id"])
        home, away = entry["home"], entry["away"] or {}
        names = {home["id"]: home["name"], away.get("id", ""): away.get("name", "")}
        rows.append({
            "round": entry["round"], "match": entry["match"], "leg": entry["leg"],
            "duel": entry["id"],
            "status": entry["status"], "trade": entry["trade"],
            "title": entry["title"],
            "home_team": home["name"], "home_company": home["company"],
            "home_votes": int(counts.get(home["id"], 0)),
            "home_jury": duel.jury_home if duel else 0,
            "home_quarantined": int(counts.get(f"q:{home['id']}", 0)),
            "away_team": away.get("name", ""), "away_company": away.get("company", ""),
            "away_votes": int(counts.get(away.get("id", ""), 0)) if away else 0,
            "away_jury": duel.jury_away if duel else 0,
            "away_quarantined": int(counts.get(f"q:{away.get('id', '')}", 0)) if away else 0,
            "winner": names.get(entry["winner"] or "", ""),
            "decided_by": entry["decided_by"] or "", "reason": entry["reason"],
        })  # fmt: skip
    return rows
