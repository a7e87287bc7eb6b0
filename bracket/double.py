"""Double elimination: a team is out after its second loss.

Winners bracket "wb-r{round}m{n}", losers bracket "lb-r{round}m{n}", grand final
"gf1" and, if enabled, the bracket reset "gf2", played only when the losers-bracket
finalist wins gf1 (then both finalists have lost once).
"""

from __future__ import annotations

from bracket.plan import Feed, PlannedMatch, from_seed, loser_of, winner_of
from bracket.seeding import round_one_pairs


def plan(size: int, grand_final_reset: bool) -> tuple[PlannedMatch, ...]:
    rounds = size.bit_length() - 1
    matches = [
        PlannedMatch(f"wb-r1m{number}", "winners", from_seed(better), from_seed(worse))
        for number, (better, worse) in enumerate(round_one_pairs(size), start=1)
    ]
    for round_ in range(2, rounds + 1):
        for number in range(1, (size >> round_) + 1):
            matches.append(
                PlannedMatch(
                    f"wb-r{round_}m{number}",
                    "winners",
                    winner_of(f"wb-r{round_ - 1}m{2 * number - 1}"),
                    winner_of(f"wb-r{round_ - 1}m{2 * number}"),
                )
            )
    losers_final: Feed = loser_of("wb-r1m1")  # two teams: the losers bracket is empty
    if rounds >= 2:
        matches.extend(_losers_bracket(size, rounds))
        losers_final = winner_of(f"lb-r{2 * (rounds - 1)}m1")
    matches.append(PlannedMatch("gf1", "grand_final", winner_of(f"wb-r{rounds}m1"), losers_final))
    if grand_final_reset:
        matches.append(
            PlannedMatch("gf2", "reset", loser_of("gf1"), winner_of("gf1"), replay_of="gf1")
        )
    return tuple(matches)


def _losers_bracket(size: int, rounds: int) -> list[PlannedMatch]:
    """Odd losers rounds pair survivors, even rounds take in winners-bracket losers.

    The drop-ins come in mirrored order in every other round to put off rematches.
    """
    matches = [
        PlannedMatch(
            f"lb-r1m{number}",
            "losers",
            loser_of(f"wb-r1m{2 * number - 1}"),
            loser_of(f"wb-r1m{2 * number}"),
        )
        for number in range(1, size // 4 + 1)
    ]
    for step in range(1, rounds):
        count = size >> (step + 1)
        for number in range(1, count + 1):
            dropped = count + 1 - number if step % 2 == 1 else number
            matches.append(
                PlannedMatch(
                    f"lb-r{2 * step}m{number}",
                    "losers",
                    winner_of(f"lb-r{2 * step - 1}m{number}"),
                    loser_of(f"wb-r{step + 1}m{dropped}"),
                )
            )
        if step < rounds - 1:
            for number in range(1, count // 2 + 1):
                matches.append(
                    PlannedMatch(
                        f"lb-r{2 * step + 1}m{number}",
                        "losers",
                        winner_of(f"lb-r{2 * step}m{2 * number - 1}"),
                        winner_of(f"lb-r{2 * step}m{2 * number}"),
                    )
                )
    return matches
