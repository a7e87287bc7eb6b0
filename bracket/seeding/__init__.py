"""Seeding: bracket positions, the order of teams, keeping companies apart in round 1.

Positions follow the classic recursive order in which seeds 1 and 2 can only meet
in the final, 1 to 4 only in the semi-finals, and so on.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from bracket.errors import DuplicateTeam, InvalidOption, InvalidOrder, SeedRequired
from bracket.models import SEEDING_METHODS, Entrant, SeedingMethod

__all__ = [
    "bracket_size",
    "order_entrants",
    "round_one_pairs",
    "seeding_positions",
    "seeding_table",
    "separate_companies",
]

DASH = " \u2013 "  # en dash between the seeds of a duel


def bracket_size(team_count: int) -> int:
    """The next power of two that holds `team_count` teams (at least 2)."""
    return 1 << max(1, (team_count - 1).bit_length())


def seeding_positions(size: int) -> tuple[int, ...]:
    """Seeds in bracket order; consecutive pairs are the round-1 duels.

    Each doubling pairs seed s with (2m + 1 - s) and alternates which side s takes,
    which yields 1-16, 8-9, 5-12, 4-13, 3-14, 6-11, 7-10, 2-15 for 16.
    """
    if size < 2 or size & (size - 1):
        raise InvalidOption(f"Bracket size {size} is not a power of two >= 2.")
    order = [1, 2]
    while len(order) < size:
        total = 2 * len(order) + 1
        doubled: list[int] = []
        for index, seed in enumerate(order):
            doubled.extend((seed, total - seed) if index % 2 == 0 else (total - seed, seed))
        order = doubled
    return tuple(order)


def round_one_pairs(size: int) -> tuple[tuple[int, int], ...]:
    """Round-1 duels as (better seed, worse seed), in bracket order."""
    positions = seeding_positions(size)
    return tuple(
        (min(positions[i], positions[i + 1]), max(positions[i], positions[i + 1]))
        for i in range(0, size, 2)
    )


def seeding_table(team_count: int) -> str:
    """Round-1 pairings by seed as text, one duel per line; missing seeds are byes."""
    if team_count < 2:
        raise InvalidOption("A seeding table needs at least two teams.")
    lines = []
    for better, worse in round_one_pairs(bracket_size(team_count)):
        lines.append(f"{better}{DASH}{worse if worse <= team_count else 'bye'}")
    return "\n".join(lines)


def order_entrants(
    entrants: Sequence[Entrant],
    method: SeedingMethod,
    seed: int | None = None,
    order: Sequence[str] | None = None,
) -> tuple[Entrant, ...]:
    """Put the teams in seed order (best first).

    random:  shuffle with random.Random(seed); teams are sorted by id first, so the
             draw depends only on the seed and the set of teams.
    manual:  `order` must be a permutation of the team ids.
    ranking: `order` is a previous ranking; ids of teams not entered are skipped,
             entered teams missing from it follow in id order.
    """
    by_id = {entrant.id: entrant for entrant in entrants}
    if len(by_id) != len(entrants):
        raise DuplicateTeam()
    if method not in SEEDING_METHODS:
        raise InvalidOption(f"Unknown seeding method {method!r}.")
    if method == "random":
        if seed is None or isinstance(seed, bool) or not isinstance(seed, int):
            raise SeedRequired()
        shuffled = sorted(entrants, key=lambda entrant: entrant.id)
        random.Random(seed).shuffle(shuffled)  # noqa: S311 (reproducible on purpose)
        return tuple(shuffled)
    if order is None or len(set(order)) != len(order):
        raise InvalidOrder("The order is missing or lists a team twice.")
    if method == "manual":
        if set(order) != set(by_id):
            raise InvalidOrder()
        return tuple(by_id[team_id] for team_id in order)
    ranked = [by_id[team_id] for team_id in order if team_id in by_id]
    listed = set(order)
    unranked = sorted((e for e in entrants if e.id not in listed), key=lambda e: e.id)
    return (*ranked, *unranked)


def separate_companies(ordered: Sequence[Entrant], size: int) -> tuple[Entrant, ...]:
    """Swap seeds so no round-1 duel is between teams of the same company, if possible.

    For each same-company duel the worse seed is swapped with the nearest seed (ties:
    the lower position) whose swap lowers the number of such duels. Such a swap exists
    whenever a conflict-free draw exists, so this ends conflict-free in that case.
    It is deterministic, so a random draw stays reproducible from its seed.
    """
    teams = list(ordered)
    count = len(teams)

    def opponent(seed: int) -> int | None:
        other = size + 1 - seed
        return other if other <= count else None

    def conflicts() -> int:
        total = 0
        for seed in range(1, size // 2 + 1):
            other = opponent(seed)
            if other is not None and teams[seed - 1].company_id == teams[other - 1].company_id:
                total += 1
        return total

    def swap(a: int, b: int) -> None:
        teams[a - 1], teams[b - 1] = teams[b - 1], teams[a - 1]

    improved = True
    while improved:
        improved = False
        for seed in range(1, size // 2 + 1):
            other = opponent(seed)
            if other is None or teams[seed - 1].company_id != teams[other - 1].company_id:
                continue
            before = conflicts()
            candidates = sorted(range(1, count + 1), key=lambda c: (abs(c - other), c))
            for candidate in candidates:
                if candidate in (seed, other):
                    continue
                swap(other, candidate)
                if conflicts() < before:
                    improved = True
                    break
                swap(other, candidate)
    return tuple(teams)
