"""Round robin: everyone meets everyone once, scheduled with the circle method.

A win is worth one point: duels always have a winner (tie-breaks end in a draw), so
there are no drawn duels to reward. Teams level on points are ranked by
head-to-head wins among those teams, then vote difference, then votes received,
then a draw seeded from the bracket seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from bracket.models import Bracket
from bracket.plan import PlannedMatch, from_seed

POINTS_PER_WIN = 1


def plan(team_count: int) -> tuple[PlannedMatch, ...]:
    """Rounds "r{round}m{n}". With an odd count a ghost seed joins; its opponent rests."""
    count = team_count + team_count % 2
    seeds = list(range(1, count + 1))
    matches: list[PlannedMatch] = []
    for round_ in range(1, count):
        number = 0
        for index in range(count // 2):
            home, away = seeds[index], seeds[count - 1 - index]
            if max(home, away) > team_count:
                continue
            if index == 0 and round_ % 2 == 0:
                home, away = away, home  # the fixed seed alternates home and away
            number += 1
            matches.append(
                PlannedMatch(
                    f"r{round_}m{number}", "group", from_seed(home), from_seed(away), round_
                )
            )
        seeds = [seeds[0], seeds[-1], *seeds[1:-1]]
    return tuple(matches)


@dataclass(frozen=True, slots=True)
class Standing:
    team_id: str
    played: int = 0
    wins: int = 0
    losses: int = 0
    points: int = 0
    votes_for: float = 0
    votes_against: float = 0

    @property
    def vote_difference(self) -> float:
        return self.votes_for - self.votes_against


def standings(bracket: Bracket) -> tuple[Standing, ...]:
    """The table from the decided duels so far, best first."""
    rows = {entrant.id: Standing(entrant.id) for entrant in bracket.entrants}
    wins_against: dict[str, list[str]] = {team_id: [] for team_id in rows}
    for match in bracket.matches:
        result = match.result
        if result is None or match.away is None or result.loser is None:
            continue
        votes = {match.home: 0.0, match.away: 0.0}
        for score in result.scores:
            if score.criterion == "votes":
                votes = {match.home: score.home, match.away: score.away}
        wins_against[result.winner].append(result.loser)
        for team_id, opponent in ((match.home, match.away), (match.away, match.home)):
            row = rows[team_id]
            won = team_id == result.winner
            rows[team_id] = Standing(
                team_id,
                played=row.played + 1,
                wins=row.wins + won,
                losses=row.losses + (not won),
                points=row.points + POINTS_PER_WIN * won,
                votes_for=row.votes_for + votes[team_id],
                votes_against=row.votes_against + votes[opponent],
            )

    def head_to_head(row: Standing) -> int:
        level = {other.team_id for other in rows.values() if other.points == row.points}
        return sum(1 for beaten in wins_against[row.team_id] if beaten in level)

    def draw(row: Standing) -> float:
        seeded = random.Random(f"{bracket.seed or 0}:standings:{row.team_id}")  # noqa: S311
        return seeded.random()

    return tuple(
        sorted(
            rows.values(),
            key=lambda row: (
                -row.points,
                -head_to_head(row),
                -row.vote_difference,
                -row.votes_for,
                draw(row),
            ),
        )
    )
