"""Single elimination: lose once and you are out."""

from __future__ import annotations

from bracket.plan import PlannedMatch, from_seed, loser_of, winner_of
from bracket.seeding import round_one_pairs

THIRD_PLACE_ID = "third-place"


def plan(size: int, third_place: bool) -> tuple[PlannedMatch, ...]:
    """Rounds r1..rk with ids "r{round}m{number}"; the final is the last match.

    The third-place match (losers of the semi-finals) comes just before the final.
    """
    rounds = size.bit_length() - 1
    matches = [
        PlannedMatch(f"r1m{number}", "main", from_seed(better), from_seed(worse))
        for number, (better, worse) in enumerate(round_one_pairs(size), start=1)
    ]
    for round_ in range(2, rounds + 1):
        for number in range(1, (size >> round_) + 1):
            matches.append(
                PlannedMatch(
                    f"r{round_}m{number}",
                    "main",
                    winner_of(f"r{round_ - 1}m{2 * number - 1}"),
                    winner_of(f"r{round_ - 1}m{2 * number}"),
                )
            )
    if third_place and rounds >= 2:
        semi = rounds - 1
        third = PlannedMatch(
            THIRD_PLACE_ID, "third_place", loser_of(f"r{semi}m1"), loser_of(f"r{semi}m2")
        )
        matches.insert(len(matches) - 1, third)
    return tuple(matches)
