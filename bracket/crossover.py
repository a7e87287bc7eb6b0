"""From group tables to the knockout: who qualifies, seeds, round-1 pairings, third place.

Qualifiers are ranked across groups by their place in the group first (winners, then
runners-up, ...), then by points, vote difference and votes received, each per duel
because group sizes may differ by one (with equal groups that is the plain order), then
a seeded draw. Head-to-head cannot count across groups: those teams never met.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import pairwise

from bracket.errors import InvalidGroups, NotSemiFinals, RoundNotDecided, UnknownMatch
from bracket.groups import group_matches, group_standings
from bracket.models import Entrant, Group, Match, Result
from bracket.roundrobin import Standing
from bracket.seeding import DASH, bracket_size, round_one_pairs, seeding_positions
from bracket.seeding import separate_companies as separate_groups

Step = tuple[str, str, str, object, object]  # level name, ahead, behind, mine, theirs
ON_THE_LINE = ("ahead of {} on the line", "behind {} on the line")
IN_GROUP = ("above {} in the group", "below {} in the group")
SEEDED = ("seeded ahead of {}", "seeded behind {}")


@dataclass(frozen=True, slots=True)
class Placement:
    team_id: str
    group: str
    rank: int  # place in the group table
    seed: int = 0  # knockout seed, 1 the best; 0 out
    reason: str = ""

    @property
    def qualified(self) -> bool:
        return self.seed > 0


@dataclass(frozen=True, slots=True)
class Qualification:
    tables: tuple[tuple[str, tuple[Standing, ...]], ...]  # (group name, table), group order
    qualifiers: tuple[Placement, ...]  # seed order
    eliminated: tuple[Placement, ...]  # group order, then rank


def ordinal(number: int) -> str:
    suffix = "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10)
    return f"{number}{suffix or 'th'}"


def qualify(
    groups: Sequence[Group],
    results: Mapping[str, Result],
    per_group: int,
    *,
    best_placed: int = 0,
    seed: int | None = None,
) -> Qualification:
    """The top `per_group` of every group plus the `best_placed` best next-placed teams.

    Every group duel needs a result. Each team gets a reason; ties at the qualification
    line and between seeds of the same place are explained.
    """
    _check(groups, per_group, best_placed)
    known = {match.id for group in groups for match in group_matches(group, {})}
    unknown = sorted(set(results) - known)
    if unknown:
        raise UnknownMatch(f"Not a group duel: {', '.join(unknown)}.")
    tables: list[tuple[str, tuple[Standing, ...]]] = []
    wins: dict[str, list[str]] = {}
    for group in groups:
        matches = group_matches(group, results, strict=False)
        open_ = [match.id for match in matches if match.result is None]
        if open_:
            raise RoundNotDecided(f"Open: {', '.join(open_)}.")
        for match in matches:
            assert match.result is not None and match.result.loser is not None
            wins.setdefault(match.result.winner, []).append(match.result.loser)
        own = {match.id: match.result for match in matches if match.result is not None}
        tables.append((group.name, group_standings(group, own, seed=seed)))

    def ranked(rank: int) -> list[tuple[str, Standing]]:
        rows = [(name, table[rank - 1]) for name, table in tables if len(table) >= rank]
        return sorted(rows, key=lambda item: _cross_key(item[1], seed))

    tiers = [ranked(rank) for rank in range(1, per_group + 1)]
    next_placed = ranked(per_group + 1) if best_placed else []
    tiers.append(next_placed[:best_placed])
    reasons: dict[str, list[str]] = {}
    place = {
        row.team_id: (name, rank) for name, table in tables for rank, row in enumerate(table, 1)
    }
    for name, table in tables:
        for rank, row in enumerate(table, start=1):
            reasons[row.team_id] = [_base(name, rank, per_group, best_placed, row, next_placed)]
        if len(table) > per_group:
            ahead, behind = table[per_group - 1], table[per_group]
            if ahead.points == behind.points:
                # With best-placed teams to come, this is not yet the qualification line.
                words = IN_GROUP if best_placed else ON_THE_LINE
                why = _why_in_group(ahead, behind, table, wins)
                _line(reasons, ahead, behind, why, words)
        if best_placed and len(table) > per_group + 1:
            # Which of two level teams is the group's next-placed, who may still go on.
            ahead, behind = table[per_group], table[per_group + 1]
            if ahead.points == behind.points:
                why = _why_in_group(ahead, behind, table, wins)
                _line(reasons, ahead, behind, why, IN_GROUP)
    if best_placed < len(next_placed):
        ahead, behind = next_placed[best_placed - 1][1], next_placed[best_placed][1]
        if _per_duel(ahead.points, ahead) == _per_duel(behind.points, behind):
            _line(reasons, ahead, behind, _why_across(ahead, behind, seed), ON_THE_LINE)
    for tier in tiers:
        for (_, ahead), (_, behind) in pairwise(tier):
            if _per_duel(ahead.points, ahead) == _per_duel(behind.points, behind):
                _line(reasons, ahead, behind, _why_across(ahead, behind, seed), SEEDED)
    order = [row.team_id for tier in tiers for _, row in tier]
    qualifiers = tuple(
        Placement(team, *place[team], seed=number, reason="; ".join(reasons[team]))
        for number, team in enumerate(order, start=1)
    )
    eliminated = tuple(
        Placement(row.team_id, name, rank, reason="; ".join(reasons[row.team_id]))
        for name, table in tables
        for rank, row in enumerate(table, start=1)
        if row.team_id not in order
    )
    return Qualification(tuple(tables), qualifiers, eliminated)


def _check(groups: Sequence[Group], per_group: int, best_placed: int) -> None:
    if not groups or any(len(group.entrants) < 2 for group in groups):
        raise InvalidGroups("Every group needs at least two teams.")
    if len({group.name for group in groups}) != len(groups):
        raise InvalidGroups("Group names must differ.")
    if per_group < 1 or best_placed < 0:
        raise InvalidGroups("At least one team per group must qualify.")
    if any(len(group.entrants) < per_group for group in groups):
        raise InvalidGroups(f"A group has fewer than {per_group} teams.")
    if sum(len(group.entrants) > per_group for group in groups) < best_placed:
        raise InvalidGroups(f"Fewer than {best_placed} groups have a {ordinal(per_group + 1)}.")
    if per_group * len(groups) + best_placed < 2:
        raise InvalidGroups("A knockout needs two teams.")


def _per_duel(value: float, row: Standing) -> Fraction:
    return Fraction(value) / max(row.played, 1)


def _cross_key(row: Standing, seed: int | None) -> tuple[Fraction, Fraction, Fraction, float]:
    draw = random.Random(f"{seed or 0}:groups:{row.team_id}").random()  # noqa: S311
    return (
        -_per_duel(row.points, row),
        -_per_duel(row.vote_difference, row),
        -_per_duel(row.votes_for, row),
        draw,
    )


def _base(
    group: str,
    rank: int,
    per_group: int,
    best_placed: int,
    row: Standing,
    next_placed: Sequence[tuple[str, Standing]],
) -> str:
    where = f"{ordinal(rank)} in group {group}"
    if rank <= per_group:
        return where
    if rank == per_group + 1 and best_placed:
        best = [other.team_id for _, other in next_placed[:best_placed]]
        verdict = "one" if row.team_id in best else "not one"
        return f"{where}, {verdict} of the {best_placed} best {ordinal(rank)}-placed teams"
    extra = f" and the {best_placed} best {ordinal(per_group + 1)}-placed" if best_placed else ""
    return f"{where}; the top {per_group}{extra} qualify"


def _line(
    reasons: dict[str, list[str]],
    ahead: Standing,
    behind: Standing,
    why: tuple[str, str],
    words: tuple[str, str],
) -> None:
    reasons[ahead.team_id].append(f"{words[0].format(behind.team_id)}: {why[0]}")
    reasons[behind.team_id].append(f"{words[1].format(ahead.team_id)}: {why[1]}")


def _number(value: float | Fraction) -> str:
    return str(int(value)) if value == int(value) else f"{float(value):.2f}"


def _explain(steps: Sequence[Step], draw: str) -> tuple[str, str]:
    """Why the first team is above the second: the first criterion that differs."""
    level: list[str] = []
    for name, ahead, behind, mine, theirs in steps:
        if mine != theirs:
            prefix = f"equal {' and '.join(level)}, " if level else ""
            return prefix + ahead, prefix + behind
        level.append(name)
    prefix = f"equal {' and '.join(level)}, "
    return f"{prefix}won the {draw}", f"{prefix}lost the {draw}"


def _votes_steps(a: Standing, b: Standing, unit: str) -> list[Step]:
    def shown(value: float, other: float, sign: str) -> str:
        return "" if unit else f" ({value:{sign}g} vs {other:{sign}g})"

    diff_a, diff_b = a.vote_difference, b.vote_difference
    return [
        (
            f"vote difference{unit}",
            f"better vote difference{unit}{shown(diff_a, diff_b, '+')}",
            f"worse vote difference{unit}{shown(diff_b, diff_a, '+')}",
            _per_duel(diff_a, a),
            _per_duel(diff_b, b),
        ),
        (
            f"votes received{unit}",
            f"more votes received{unit}{shown(a.votes_for, b.votes_for, '')}",
            f"fewer votes received{unit}{shown(b.votes_for, a.votes_for, '')}",
            _per_duel(a.votes_for, a),
            _per_duel(b.votes_for, b),
        ),
    ]


def _why_in_group(
    a: Standing, b: Standing, table: Sequence[Standing], wins: Mapping[str, Sequence[str]]
) -> tuple[str, str]:
    level = {row.team_id for row in table if row.points == a.points}
    h2h_a = sum(1 for beaten in wins.get(a.team_id, ()) if beaten in level)
    h2h_b = sum(1 for beaten in wins.get(b.team_id, ()) if beaten in level)
    if level == {a.team_id, b.team_id}:
        head = ("won the duel between them", "lost the duel between them")
    else:
        count = len(level)
        head = (
            f"more wins among the {count} teams level on points ({h2h_a} vs {h2h_b})",
            f"fewer wins among the {count} teams level on points ({h2h_b} vs {h2h_a})",
        )
    steps: list[Step] = [("points", "", "", a.points, b.points)]
    steps.append(("head-to-head", *head, h2h_a, h2h_b))
    return _explain([*steps, *_votes_steps(a, b, "")], "seeded draw")


def _why_across(a: Standing, b: Standing, seed: int | None) -> tuple[str, str]:
    unit = "" if a.played == b.played else " per duel"
    steps: list[Step] = [(f"points{unit}", "", "", _per_duel(a.points, a), _per_duel(b.points, b))]
    return _explain([*steps, *_votes_steps(a, b, unit)], "seeded draw")


def knockout_order(qualification: Qualification) -> tuple[str, ...]:
    """Team ids in seed order, for draw(..., seeding="manual", order=...).

    Two per group with 2, 4, 8, ... groups: the classic crossover 1A-2B, 1B-2A, 1C-2D,
    1D-2C, ..., 1A-2B and 1B-2A in opposite halves, so a group's two teams can meet
    only in the final. Otherwise the qualification seeds (winners first, so they meet
    as late as possible), with the fewest swaps that keep a group's teams apart in
    round 1 whenever that is possible.
    """
    names = [name for name, _ in qualification.tables]
    team = {(p.group, p.rank): p.team_id for p in qualification.qualifiers}
    count = len(names)
    if (
        count >= 2
        and count & (count - 1) == 0
        and set(team) == {(name, rank) for name in names for rank in (1, 2)}
    ):
        pairs = [(team[(names[i], 1)], team[(names[i + 1], 2)]) for i in range(0, count, 2)]
        pairs += [(team[(names[i + 1], 1)], team[(names[i], 2)]) for i in range(0, count, 2)]
        positions = seeding_positions(2 * count)
        order = [""] * (2 * count)
        for index, (winner, runner_up) in enumerate(pairs):
            better, worse = sorted(positions[2 * index : 2 * index + 2])
            order[better - 1], order[worse - 1] = winner, runner_up
        return tuple(order)
    # A group plays the part of a company: no two of its teams in one round-1 duel.
    as_entrants = [Entrant(p.team_id, p.group) for p in qualification.qualifiers]
    separated = separate_groups(as_entrants, bracket_size(len(as_entrants)))
    return tuple(entrant.id for entrant in separated)


def knockout_pairs(order: Sequence[str]) -> tuple[tuple[str, str | None], ...]:
    """The round-1 duels the single elimination draws from `order`; None is a bye."""
    return tuple(
        (order[better - 1], order[worse - 1] if worse <= len(order) else None)
        for better, worse in round_one_pairs(bracket_size(len(order)))
    )


def third_place_pairing(semi_finals: Iterable[Match]) -> tuple[str, str]:
    """The two losing semi-finalists, the loser of the first semi-final (by id) at home."""
    semis = sorted(semi_finals, key=lambda match: match.id)
    if (
        len(semis) != 2
        or any(match.away is None or match.stage != "main" for match in semis)
        or semis[0].round != semis[1].round
    ):
        raise NotSemiFinals()
    losers = [match.result.loser for match in semis if match.result is not None]
    if len(losers) != 2:
        raise RoundNotDecided("Both semi-finals need a result.")
    home, away = losers
    assert home is not None and away is not None
    return home, away


def render_groups(
    groups: Sequence[Group], qualification: Qualification, order: Sequence[str]
) -> tuple[str, ...]:
    """Plain-text lines: the group tables, the reasons, the knockout's round 1."""
    names = {e.id: e.name or e.id for group in groups for e in group.entrants}
    seeds = {p.team_id: p.seed for p in qualification.qualifiers}
    label = {p.team_id: f"{ordinal(p.rank)} {p.group}" for p in qualification.qualifiers}
    lines: list[str] = []
    for name, table in qualification.tables:
        lines.append(f"Group {name}")
        lines.append(
            f"{'#':>3}  {'Team':<24}{'P':>3}{'W':>3}{'L':>3}{'Pts':>5}{'Votes':>12}{'Diff':>7}"
        )
        for rank, row in enumerate(table, start=1):
            votes = f"{_number(row.votes_for)}:{_number(row.votes_against)}"
            diff = f"{row.vote_difference:+g}"
            mark = f"  Q{seeds[row.team_id]}" if row.team_id in seeds else ""
            lines.append(
                f"{rank:>3}  {names[row.team_id]:<24}{row.played:>3}{row.wins:>3}"
                f"{row.losses:>3}{row.points:>5}{votes:>12}{diff:>7}{mark}"
            )
        lines.append("")
    lines.append("Qualified")
    for placement in qualification.qualifiers:
        lines.append(f"{placement.seed:>3}  {names[placement.team_id]}: {placement.reason}")
    lines.append("")
    lines.append("Out")
    for placement in qualification.eliminated:
        lines.append(f"     {names[placement.team_id]}: {placement.reason}")
    lines.append("")
    lines.append("Knockout, round 1")
    for home, away in knockout_pairs(order):
        other = "bye" if away is None else f"{names[away]} ({label[away]})"
        lines.append(f"     {names[home]} ({label[home]}){DASH}{other}")
    return tuple(lines)
