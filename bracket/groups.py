"""Group stage: pots, a draw that keeps companies apart, a round robin table per group.

Teams come in seed order. With N groups, pot k holds seeds kN+1..(k+1)N and every
group gets one team of each pot, so group sizes differ by at most one (only the last
pot can be short). The draw is a search over the pot assignments: first as few
same-company pairs in a group as possible, then as few same-trade pairs.
"""

from __future__ import annotations

import random
import string
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from bracket import roundrobin
from bracket.errors import DuplicateTeam, InvalidGroups, InvalidResult, SeedRequired, UnknownMatch
from bracket.models import Bracket, Entrant, Group, Match, Result

# Draw positions tried before the best draw found so far is taken. Plenty for real
# events; it only bounds the search when a perfect separation does not exist.
SEARCH_LIMIT = 20_000


@dataclass(frozen=True, slots=True)
class GroupDraw:
    groups: tuple[Group, ...]
    notes: tuple[str, ...] = ()  # same-company teams sharing a group, and why


def group_name(index: int) -> str:
    return string.ascii_uppercase[index] if index < 26 else str(index + 1)


def pots(entrants: Sequence[Entrant], group_count: int) -> tuple[tuple[Entrant, ...], ...]:
    """Pot k holds seeds k*group_count+1 .. (k+1)*group_count."""
    return tuple(
        tuple(entrants[start : start + group_count])
        for start in range(0, len(entrants), group_count)
    )


def draw_groups(
    entrants: Sequence[Entrant], group_count: int, *, seed: int | None = None
) -> GroupDraw:
    """Draw the groups from teams in seed order.

    Without `seed` the pots are dealt in order (seed kN+i to group i); with one, each
    pot is shuffled with random.Random(seed). Either way the result is then moved as
    little as needed to separate companies, then trades.
    """
    teams = tuple(entrants)
    if len({team.id for team in teams}) != len(teams):
        raise DuplicateTeam()
    if group_count < 1 or len(teams) < 2 * group_count:
        raise InvalidGroups(f"{len(teams)} teams cannot fill {group_count} groups of two.")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise SeedRequired()
    rng = random.Random(seed) if seed is not None else None  # noqa: S311 (reproducible)
    slots: list[tuple[int, Entrant, tuple[int, ...]]] = []
    for number, pot in enumerate(pots(teams, group_count)):
        drawn, targets = list(pot), list(range(group_count))
        if rng is not None:
            rng.shuffle(drawn)
            rng.shuffle(targets)
        slots.extend((number, team, tuple(targets)) for team in drawn)
    assignment, exhaustive = _search(slots, group_count)
    members: list[list[Entrant]] = [[] for _ in range(group_count)]
    for (_, team, _), target in zip(slots, assignment, strict=True):
        members[target].append(team)  # slots run pot by pot, so pot order is kept
    groups = tuple(Group(group_name(index), tuple(teams_)) for index, teams_ in enumerate(members))
    return GroupDraw(groups, _notes(groups, teams, exhaustive))


def _search(
    slots: Sequence[tuple[int, Entrant, tuple[int, ...]]], group_count: int
) -> tuple[list[int], bool]:
    """Depth-first over the slots; returns the best assignment and if it is proven best."""
    companies: list[Counter[str]] = [Counter() for _ in range(group_count)]
    trades: list[Counter[str]] = [Counter() for _ in range(group_count)]
    taken: set[tuple[int, int]] = set()  # (pot, group)
    current = [0] * len(slots)
    best: list[int] = []
    best_cost = (len(slots) ** 2, len(slots) ** 2)
    bound = (
        _fewest_pairs(Counter(team.company_id for _, team, _ in slots), group_count),
        _fewest_pairs(Counter(team.trade for _, team, _ in slots if team.trade), group_count),
    )
    nodes = 0

    def visit(index: int, cost: tuple[int, int]) -> bool:
        """True stops the search: the bound is reached or the limit is used up."""
        nonlocal best, best_cost, nodes
        if cost >= best_cost:
            return False
        if index == len(slots):
            best, best_cost = list(current), cost
            return cost <= bound
        nodes += 1
        if nodes > SEARCH_LIMIT and best:
            return True
        pot, team, targets = slots[index]
        options = sorted(
            (
                companies[target][team.company_id],
                trades[target][team.trade] if team.trade else 0,
                rank,
                target,
            )
            for rank, target in enumerate(targets)
            if (pot, target) not in taken
        )
        for same_company, same_trade, _, target in options:
            current[index] = target
            taken.add((pot, target))
            companies[target][team.company_id] += 1
            trades[target][team.trade] += 1
            stop = visit(index + 1, (cost[0] + same_company, cost[1] + same_trade))
            taken.discard((pot, target))
            companies[target][team.company_id] -= 1
            trades[target][team.trade] -= 1
            if stop:
                return True
        return False

    visit(0, (0, 0))
    return best, nodes <= SEARCH_LIMIT or best_cost[0] == bound[0]


def _fewest_pairs(counts: Counter[str], group_count: int) -> int:
    """Pairs of equal teams in one group if each kind is spread as evenly as possible."""
    total = 0
    for count in counts.values():
        per_group, rest = divmod(count, group_count)
        total += rest * (per_group + 1) * per_group // 2
        total += (group_count - rest) * per_group * (per_group - 1) // 2
    return total


def _notes(groups: Sequence[Group], teams: Sequence[Entrant], proven: bool) -> tuple[str, ...]:
    why = "unavoidable" if proven else "no separating draw found"
    notes = []
    for group in groups:
        by_company: dict[str, list[str]] = {}
        for team in group.entrants:
            by_company.setdefault(team.company_id, []).append(team.id)
        for company, ids in by_company.items():
            if len(ids) > 1:
                notes.append(
                    f"Group {group.name}: {len(ids)} teams of company {company} "
                    f"({', '.join(ids)}), {why}."
                )
    return tuple(notes)


def group_schedule(group: Group) -> tuple[Match, ...]:
    """Every pair once, in round robin rounds; ids "{group}-r{round}m{n}"."""
    matches = []
    for planned in roundrobin.plan(len(group.entrants)):
        home = group.entrants[planned.home.seed - 1]
        away = group.entrants[planned.away.seed - 1]
        matches.append(
            Match(
                f"{group.name}-{planned.id}",
                planned.round,
                "group",
                home.id,
                away.id,
                home.trade or away.trade,
            )
        )
    return tuple(matches)


def group_matches(
    group: Group, results: Mapping[str, Result], *, strict: bool = True
) -> tuple[Match, ...]:
    """The schedule with the results so far; `strict` rejects ids of other matches."""
    schedule = group_schedule(group)
    known = {match.id: match for match in schedule}
    for match_id, result in results.items():
        match = known.get(match_id)
        if match is None:
            if strict:
                raise UnknownMatch(f"Match {match_id!r} is not in group {group.name}.")
            continue
        if result.decided_by == "bye" or {result.winner, result.loser} != {
            match.home,
            match.away,
        }:
            raise InvalidResult(f"Winner and loser must be the two teams of {match_id!r}.")
    return tuple(replace(match, result=results.get(match.id)) for match in schedule)


def group_standings(
    group: Group, results: Mapping[str, Result], *, seed: int | None = None
) -> tuple[roundrobin.Standing, ...]:
    """The group table by the round robin rules (points, head-to-head, votes, draw)."""
    matches = group_matches(group, results)
    league = Bracket(
        format="round_robin",
        entrants=group.entrants,
        seeding="manual",
        seed=seed,
        third_place=False,
        grand_final_reset=False,
        round=max(match.round for match in matches),
        matches=matches,
    )
    return roundrobin.standings(league)
