"""Bracket <-> plain JSON data (dict, list, str, int, float, bool, None).

`from_dict(to_dict(bracket)) == bracket`, also after a trip through json.dumps/loads.
"""

from __future__ import annotations

from typing import Any, TypeVar

from bracket.errors import InvalidData
from bracket.models import (
    DECIDED_BY,
    FORMATS,
    SEEDING_METHODS,
    STAGE_KINDS,
    STAGES,
    Bracket,
    Entrant,
    Group,
    Match,
    Result,
    Score,
    StagePlan,
)

VERSION = 1

T = TypeVar("T")


def to_dict(bracket: Bracket) -> dict[str, Any]:
    data = _state_to_dict(bracket)
    data["version"] = VERSION
    data["history"] = [_state_to_dict(state) for state in bracket.history]
    return data


def from_dict(data: dict[str, Any]) -> Bracket:
    try:
        if data["version"] != VERSION:
            raise InvalidData(f"Unsupported version {data['version']!r}.")
        history = tuple(_state_from_dict(state) for state in data["history"])
        return _state_from_dict(data, history)
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidData(repr(exc)) from exc


def _state_to_dict(bracket: Bracket) -> dict[str, Any]:
    return {
        "format": bracket.format,
        "entrants": [
            {"id": e.id, "company_id": e.company_id, "trade": e.trade, "name": e.name}
            for e in bracket.entrants
        ],
        "seeding": bracket.seeding,
        "seed": bracket.seed,
        "third_place": bracket.third_place,
        "grand_final_reset": bracket.grand_final_reset,
        "round": bracket.round,
        "matches": [_match_to_dict(match) for match in bracket.matches],
        "stages": [
            {
                "kind": plan.kind,
                "groups": plan.groups,
                "advance": plan.advance,
                "best_placed": plan.best_placed,
                "rounds": plan.rounds,
                "third_place": plan.third_place,
            }
            for plan in bracket.stages
        ],
        "stage": bracket.stage,
        "stage_round": bracket.stage_round,
        "groups": [
            {"name": group.name, "teams": [entrant.id for entrant in group.entrants]}
            for group in bracket.groups
        ],
        "qualified": list(bracket.qualified),
        "best_of": bracket.best_of,
    }


def _match_to_dict(match: Match) -> dict[str, Any]:
    result = match.result
    return {
        "id": match.id,
        "round": match.round,
        "stage": match.stage,
        "home": match.home,
        "away": match.away,
        "trade": match.trade,
        "title": match.title,
        "legs": match.legs,
        "result": None
        if result is None
        else {
            "winner": result.winner,
            "loser": result.loser,
            "decided_by": result.decided_by,
            "reason": result.reason,
            "scores": [[s.criterion, s.home, s.away] for s in result.scores],
        },
    }


def _state_from_dict(data: dict[str, Any], history: tuple[Bracket, ...] = ()) -> Bracket:
    entrants = tuple(
        Entrant(_str(e["id"]), _str(e["company_id"]), _str(e["trade"]), _str(e["name"]))
        for e in data["entrants"]
    )
    by_id = {entrant.id: entrant for entrant in entrants}
    # Brackets stored before stages existed have none of the stage keys.
    return Bracket(
        format=_choice(data["format"], FORMATS),
        entrants=entrants,
        seeding=_choice(data["seeding"], SEEDING_METHODS),
        seed=None if data["seed"] is None else _int(data["seed"]),
        third_place=bool(data["third_place"]),
        grand_final_reset=bool(data["grand_final_reset"]),
        round=_int(data["round"]),
        matches=tuple(_match_from_dict(match) for match in data["matches"]),
        history=history,
        stages=tuple(
            StagePlan(
                _choice(plan["kind"], STAGE_KINDS),
                _int(plan["groups"]),
                _int(plan["advance"]),
                _int(plan["best_placed"]),
                _int(plan["rounds"]),
                bool(plan["third_place"]),
            )
            for plan in data.get("stages", ())
        ),
        stage=_int(data.get("stage", 0)),
        stage_round=_int(data.get("stage_round", 1)),
        groups=tuple(
            Group(_str(group["name"]), tuple(by_id[_str(team)] for team in group["teams"]))
            for group in data.get("groups", ())
        ),
        qualified=tuple(_str(team) for team in data.get("qualified", ())),
        best_of=_int(data.get("best_of", 1)),
    )


def _match_from_dict(data: dict[str, Any]) -> Match:
    raw = data["result"]
    result = None
    if raw is not None:
        result = Result(
            winner=_str(raw["winner"]),
            loser=None if raw["loser"] is None else _str(raw["loser"]),
            decided_by=_choice(raw["decided_by"], DECIDED_BY),
            reason=_str(raw["reason"]),
            scores=tuple(
                Score(_str(criterion), _number(home), _number(away))
                for criterion, home, away in raw["scores"]
            ),
        )
    return Match(
        id=_str(data["id"]),
        round=_int(data["round"]),
        stage=_choice(data["stage"], STAGES),
        home=_str(data["home"]),
        away=None if data["away"] is None else _str(data["away"]),
        trade=_str(data["trade"]),
        title=_str(data["title"]),
        result=result,
        legs=_int(data.get("legs", 1)),
    )


def _choice(value: object, allowed: tuple[T, ...]) -> T:
    if value not in allowed:
        raise InvalidData(f"{value!r} is not one of {allowed}.")
    return value


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise InvalidData(f"Expected a string, got {value!r}.")
    return value


def _number(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidData(f"Expected a number, got {value!r}.")
    return value


def _int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidData(f"Expected an integer, got {value!r}.")
    return value
