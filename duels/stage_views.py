"""Read models of competitions in stages: group tables, Swiss standings, qualification."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

import bracket as engine
from bracket.crossover import ordinal

TeamView = Callable[[str], dict[str, Any]]


def stage_summary(state: engine.Bracket) -> dict[str, Any] | None:
    """Where a competition in stages stands; None for the one-stage formats."""
    if not state.stages:
        return None
    plan = state.stages[state.stage]
    following = state.stages[state.stage + 1].kind if engine.stage_over(state) else None
    return {
        "index": state.stage,
        "kind": plan.kind,
        "stages": [stage.kind for stage in state.stages],
        "first_round": state.stage_round,
        "over": engine.stage_over(state),
        "next": following,
        "advance": plan.advance,
        "best_placed": plan.best_placed,
        "rounds": plan.rounds,
    }


def group_tables(state: engine.Bracket, team: TeamView) -> list[dict[str, Any]]:
    """Each group's table from the duels decided so far; `qualifying` marks the places
    that go on if the table ended now (best-placed teams across groups not marked)."""
    if not state.groups:
        return []
    advance = state.stages[0].advance
    return [
        {
            "name": group.name,
            "rows": [
                {
                    "rank": rank,
                    "team": team(row.team_id),
                    "played": row.played,
                    "wins": row.wins,
                    "losses": row.losses,
                    "points": row.points,
                    "votes_for": row.votes_for,
                    "votes_against": row.votes_against,
                    "vote_difference": row.vote_difference,
                    "qualifying": rank <= advance,
                }
                for rank, row in enumerate(table, start=1)
            ],
        }
        for group, table in engine.group_tables(state)
    ]


def swiss_standings(state: engine.Bracket, team: TeamView) -> list[dict[str, Any]]:
    if not state.stages or state.stages[0].kind != "swiss":
        return []
    advance = state.stages[0].advance
    return [
        {
            "rank": rank,
            "team": team(row.team_id),
            "played": row.played,
            "wins": row.wins,
            "losses": row.losses,
            "byes": row.byes,
            "points": row.points,
            "buchholz": row.buchholz,
            "ranked_by": row.ranked_by,
            "qualifying": rank <= advance,
        }
        for rank, row in enumerate(engine.swiss_table_of(state), start=1)
    ]


def qualification(state: engine.Bracket, team: TeamView) -> dict[str, Any] | None:
    """Who goes on from the finished stage and why, and the next stage's round 1;
    None while the stage is being played (or none follows)."""
    if not engine.stage_over(state):
        return None
    order = engine.next_stage_teams(state)
    if state.stages[state.stage].kind == "groups":
        result = engine.qualification(state)
        everyone = [p.team_id for p in (*result.qualifiers, *result.eliminated)]
        qualified = [
            {
                "seed": p.seed,
                "team": team(p.team_id),
                "group": p.group,
                "rank": p.rank,
                **_explained(p.reason, everyone, team),
            }
            for p in result.qualifiers
        ]
        out = [
            {
                "team": team(p.team_id),
                "group": p.group,
                "rank": p.rank,
                **_explained(p.reason, everyone, team),
            }
            for p in result.eliminated
        ]
    else:
        table = engine.swiss_table_of(state)
        advance = len(order)
        qualified, out = [], []
        for rank, row in enumerate(table, start=1):
            why = f"{ordinal(rank)} in the Swiss standings with {row.points} points"
            if row.ranked_by:
                why += f", ranked by {row.ranked_by.replace('_', '-')}"
            entry = {"team": team(row.team_id), "rank": rank, **_explained(why, (), team)}
            if rank <= advance:
                qualified.append({"seed": rank, **entry})
            else:
                out.append(entry)
    return {
        "qualified": qualified,
        "eliminated": out,
        "first_round": [
            {"home": team(home), "away": team(away) if away else None}
            for home, away in engine.knockout_pairs(order)
        ],
    }


def _explained(code: str, teams: Iterable[str], team: TeamView) -> dict[str, Any]:
    """`reason` with team names; the engine's own text (team ids) as `reason_code`, and
    the teams it names as `mentions`, so a page can say it in its own language."""
    words = set(re.split(r"[\s:;,()]+", code))
    mentions = {team_id: str(team(team_id)["name"]) for team_id in teams if team_id in words}
    reason = re.sub(r"[^\s:;,()]+", lambda word: mentions.get(word[0], word[0]), code)
    return {"reason": reason, "reason_code": code, "mentions": mentions}
