"""Where each team and company finished: the bracket result, used to break ties in the
company ranking (the champion's company first, then the runner-up's, ...)."""

from __future__ import annotations

from bracket.engine import champion
from bracket.models import Bracket
from bracket.roundrobin import standings


def team_places(bracket: Bracket) -> dict[str, int]:
    """Team id -> place: 1 the champion, then by the last round a team played (later is
    better; in that round the winner before the loser, so the final's loser is 2 and a
    third-place match counts just below the final). Equal ones share a place (1, 2, 3, 3,
    5). While the bracket runs, teams still in count by the round they reached. Round
    robin: the standings order."""
    if bracket.format == "round_robin":
        return {row.team_id: n for n, row in enumerate(standings(bracket), start=1)}
    winner = champion(bracket)
    reached: dict[str, tuple[int, float, int]] = {e.id: (0, 0.0, 0) for e in bracket.entrants}
    for match in bracket.matches:
        depth = match.round - (0.5 if match.stage == "third_place" else 0.0)
        for team in (match.home, match.away):
            if team is None or team not in reached:
                continue
            won = int(match.result is not None and match.result.winner == team)
            reached[team] = max(reached[team], (int(team == winner), depth, won))
    ordered = sorted(reached.items(), key=lambda item: item[1], reverse=True)
    places: dict[str, int] = {}
    previous: tuple[int, float, int] | None = None
    place = 0
    for position, (team, key) in enumerate(ordered, start=1):
        if key != previous:
            place, previous = position, key
        places[team] = place
    return places


def company_places(bracket: Bracket) -> dict[str, int]:
    """Company id -> the best place of its teams."""
    places = team_places(bracket)
    best: dict[str, int] = {}
    for entrant in bracket.entrants:
        place = places.get(entrant.id)
        if place is not None and entrant.company_id:
            best[entrant.company_id] = min(best.get(entrant.company_id, place), place)
    return best
