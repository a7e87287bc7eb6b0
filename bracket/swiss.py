"""Swiss rounds: a fixed number of rounds, each pairing teams with equal points.

A win is worth POINTS_PER_WIN, and so is a bye, as elsewhere in the engine. Teams
level on points are ranked by Buchholz (the sum of their opponents' points), then by
head-to-head wins among the teams still level, then by seed.

Each round is paired from the standings: first the fewest rematches (none whenever
that is possible), then the smallest total point gap between paired teams. Within a
score group the top half meets the bottom half (1-3, 2-4); an odd one out floats to
the nearest group. Round 1 is therefore seed 1 against seed N/2 + 1, and so on.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from bracket.errors import (
    BracketFinished,
    DuplicateTeam,
    InvalidOption,
    InvalidResult,
    RoundNotDecided,
    TooFewTeams,
)
from bracket.models import Match, Result
from bracket.roundrobin import POINTS_PER_WIN

SwissTieBreak = Literal["", "points", "buchholz", "head_to_head", "seed"]
SWISS_TIE_BREAKS: tuple[SwissTieBreak, ...] = ("points", "buchholz", "head_to_head", "seed")


@dataclass(frozen=True, slots=True)
class SwissStanding:
    """One row. `wins` include byes; `ranked_by` says what put the team below the row
    above it ("" for the leader)."""

    team_id: str
    played: int = 0  # duels, byes not included
    wins: int = 0
    losses: int = 0
    byes: int = 0
    points: int = 0
    buchholz: int = 0
    ranked_by: SwissTieBreak = ""


def recommended_swiss_rounds(team_count: int) -> int:
    """ceil(log2(team_count)): enough rounds for a single unbeaten team."""
    if team_count < 2:
        raise TooFewTeams()
    return (team_count - 1).bit_length()


def swiss_standings(teams: Sequence[str], games: Iterable[Match]) -> tuple[SwissStanding, ...]:
    """The table from the decided games so far, best first. `teams` is in seed order."""
    seeds = _seeds(teams)
    rows = {team: SwissStanding(team) for team in teams}
    opponents: dict[str, list[str]] = {team: [] for team in teams}
    beaten: dict[str, list[str]] = {team: [] for team in teams}
    for game in _checked(seeds, games):
        result = game.result
        if result is None:
            continue
        row = rows[result.winner]
        rows[result.winner] = SwissStanding(
            row.team_id,
            row.played + (result.loser is not None),
            row.wins + 1,
            row.losses,
            row.byes + (result.loser is None),
            row.points + POINTS_PER_WIN,
        )
        if result.loser is not None:
            row = rows[result.loser]
            rows[result.loser] = SwissStanding(
                row.team_id, row.played + 1, row.wins, row.losses + 1, row.byes, row.points
            )
            opponents[result.winner].append(result.loser)
            opponents[result.loser].append(result.winner)
            beaten[result.winner].append(result.loser)

    buchholz = {team: sum(rows[other].points for other in opponents[team]) for team in teams}

    def level(team: str) -> tuple[int, int]:
        return rows[team].points, buchholz[team]

    def key(team: str) -> tuple[int, int, int, int]:
        head_to_head = sum(1 for other in beaten[team] if level(other) == level(team))
        return -rows[team].points, -buchholz[team], -head_to_head, seeds[team]

    ranked: list[SwissStanding] = []
    above: tuple[int, ...] = ()
    for team in sorted(teams, key=key):
        mine = key(team)
        ranked_by: SwissTieBreak = ""
        if above:
            ranked_by = next(
                name for name, a, b in zip(SWISS_TIE_BREAKS, above, mine, strict=True) if a != b
            )
        row = rows[team]
        ranked.append(
            SwissStanding(
                team,
                row.played,
                row.wins,
                row.losses,
                row.byes,
                row.points,
                buchholz[team],
                ranked_by,
            )
        )
        above = mine
    return tuple(ranked)


def pair_swiss_round(
    teams: Sequence[str], games: Iterable[Match], *, rounds: int, seed: int | None = None
) -> tuple[Match, ...]:
    """The matches of the next round ("r{round}m{n}", stage "group"), top boards first.

    `games` are all matches of the earlier rounds, each decided. With an odd count the
    lowest-ranked team with the fewest byes rests and wins (a bye, decided at once); a
    higher-ranked one only if the lowest would force a rematch that it avoids. With
    `seed`, round 1 pairs a seeded random order instead of the seed order; later rounds
    ignore it. The same input always gives the same round.
    """
    if rounds < 1:
        raise InvalidOption("A Swiss stage needs at least one round.")
    played = tuple(games)
    open_ = [game.id for game in played if game.result is None]
    if open_:
        raise RoundNotDecided(f"Open: {', '.join(open_)}.")
    table = swiss_standings(teams, played)
    round_ = max((game.round for game in played), default=0) + 1
    if round_ > rounds:
        raise BracketFinished(f"All {rounds} Swiss rounds are paired.")
    ranked = [row.team_id for row in table]
    if round_ == 1 and seed is not None:
        ranked = sorted(teams)
        random.Random(seed).shuffle(ranked)  # noqa: S311 (reproducible on purpose)
    points = {row.team_id: row.points for row in table}
    met = {frozenset((g.home, g.away)) for g in played if g.away is not None}

    bye: str | None = None
    pairs: list[tuple[str, str]] | None = None
    if len(ranked) % 2:
        byes = {row.team_id: row.byes for row in table}
        fewest = min(byes.values())
        eligible = [team for team in reversed(ranked) if byes[team] == fewest]
        for team in eligible:
            rest = [other for other in ranked if other != team]
            pairs = _pairings(rest, points, met, max_rematches=0)
            if pairs is not None:
                bye = team
                break
        else:
            bye = eligible[0]
        ranked.remove(bye)
    if pairs is None:
        pairs = _pairings(ranked, points, met)
    assert pairs is not None  # with no limit on rematches every even field pairs

    matches = [
        Match(f"r{round_}m{number}", round_, "group", home, away)
        for number, (home, away) in enumerate(pairs, start=1)
    ]
    if bye is not None:
        number = len(matches) + 1
        matches.append(
            Match(
                f"r{round_}m{number}", round_, "group", bye, None, result=Result(bye, None, "bye")
            )
        )
    return tuple(matches)


def swiss_table(
    rows: Sequence[SwissStanding], names: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    """The standings as plain text lines: a header, then one line per team."""
    names = names or {}
    labels = [names.get(row.team_id, row.team_id) for row in rows]
    width = max([len("Team"), *map(len, labels)])
    lines = [
        f"{'#':>3}  {'Team':<{width}}  {'P':>2} {'W':>2} {'L':>2} {'Bye':>3} {'Pts':>3} {'BH':>3}"
    ]
    for place, (row, label) in enumerate(zip(rows, labels, strict=True), start=1):
        line = (
            f"{place:>3}  {label:<{width}}  {row.played:>2} {row.wins:>2} {row.losses:>2}"
            f" {row.byes:>3} {row.points:>3} {row.buchholz:>3}"
        )
        lines.append(f"{line}  {row.ranked_by.replace('_', '-')}".rstrip())
    return tuple(lines)


def _seeds(teams: Sequence[str]) -> dict[str, int]:
    if len(teams) < 2:
        raise TooFewTeams()
    seeds = {team: number for number, team in enumerate(teams, start=1)}
    if len(seeds) != len(teams):
        raise DuplicateTeam()
    return seeds


def _checked(seeds: Mapping[str, int], games: Iterable[Match]) -> list[Match]:
    checked: list[Match] = []
    busy: set[tuple[int, str]] = set()
    for game in games:
        sides = [game.home] if game.away is None else [game.home, game.away]
        if any(team not in seeds for team in sides):
            raise InvalidResult(f"{game.id!r} has a team that is not in the stage.")
        if any((game.round, team) in busy for team in sides) or len(set(sides)) != len(sides):
            raise InvalidResult(f"{game.id!r}: a team plays twice in round {game.round}.")
        busy.update((game.round, team) for team in sides)
        result = game.result
        if result is not None and (
            (game.away is None) != (result.decided_by == "bye")
            or {result.winner, result.loser} != {game.home, game.away}
        ):
            raise InvalidResult(f"Winner and loser must be the teams of {game.id!r}.")
        checked.append(game)
    return checked


def _pairings(
    ranked: Sequence[str],
    points: Mapping[str, int],
    met: set[frozenset[str]],
    max_rematches: int | None = None,
) -> list[tuple[str, str]] | None:
    """Pairs (better ranked first) with the fewest rematches, then the smallest total
    point gap; None if that needs more than `max_rematches` rematches.

    A depth-first search that always pairs the best-ranked team left, with budgets for
    rematches and gap raised step by step. `ranked` is ordered by points, best first.
    Instant for the usual few rounds; proving that every pairing needs a rematch is
    exponential, which only shows when a big field plays nearly n - 1 rounds.
    """
    count = len(ranked)
    score = [points[team] for team in ranked]
    again = [[frozenset((a, b)) in met for b in ranked] for a in ranked]
    failed: dict[tuple[int, int], int] = {}  # (teams left, rematches) -> largest gap that failed

    def gap_bound(left: int) -> int:
        # Pairing neighbours in points order gives the smallest gap of any pairing.
        scores = [score[i] for i in range(count) if left >> i & 1]
        return sum(scores[0::2]) - sum(scores[1::2])

    def candidates(first: int, left: int) -> list[int]:
        others = [i for i in range(count) if left >> i & 1 and i != first]
        group = [i for i in others if score[i] == score[first]]
        middle = (len(group) + 1) // 2 - 1  # index in `group`, which lacks `first`

        def preference(i: int) -> tuple[int, int, int, int]:
            if score[i] == score[first]:
                position = group.index(i)
                return 0, 0, abs(position - middle), position
            return abs(score[i] - score[first]), score[i] > score[first], 0, i

        return sorted(others, key=preference)

    def search(left: int, rematches: int, gap: int) -> list[tuple[int, int]] | None:
        if not left:
            return []
        if failed.get((left, rematches), -1) >= gap or gap_bound(left) > gap:
            return None
        first = (left & -left).bit_length() - 1
        for other in candidates(first, left):
            cost = abs(score[first] - score[other])
            if cost > gap or (again[first][other] and not rematches):
                continue
            rest = search(
                left & ~(1 << first | 1 << other), rematches - again[first][other], gap - cost
            )
            if rest is not None:
                return [(first, other), *rest]
        failed[(left, rematches)] = max(gap, failed.get((left, rematches), -1))
        return None

    everyone = (1 << count) - 1
    widest = (count // 2) * (max(score, default=0) - min(score, default=0))
    limit = count // 2 if max_rematches is None else max_rematches
    for rematches in range(limit + 1):
        found = search(everyone, rematches, widest)
        if found is None:
            continue
        for gap in range(gap_bound(everyone), widest + 1):
            found = search(everyone, rematches, gap)
            if found is not None:
                return [(ranked[a], ranked[b]) for a, b in found]
    return None
