"""The plan of a bracket: every match that may be played and where its teams come from.

A plan depends only on the format, the number of teams and the options, so it is
recomputed when needed instead of being stored. `schedule` turns it into the matches
that will really be played:

- a feed from a seed beyond the number of teams is empty;
- a round-1 match with one empty side is a bye, decided when it is created;
- a later match with one empty side is not played, its team moves on directly;
- a match plays one round after the later of its two feeding matches, so no team
  ever plays twice in a round and no round is empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bracket.models import Stage

FeedKind = Literal["seed", "winner", "loser"]


@dataclass(frozen=True, slots=True)
class Feed:
    """Where a team comes from: a seed, or the winner or loser of another match."""

    kind: FeedKind
    seed: int = 0
    match_id: str = ""


def from_seed(seed: int) -> Feed:
    return Feed("seed", seed=seed)


def winner_of(match_id: str) -> Feed:
    return Feed("winner", match_id=match_id)


def loser_of(match_id: str) -> Feed:
    return Feed("loser", match_id=match_id)


@dataclass(frozen=True, slots=True)
class PlannedMatch:
    id: str
    stage: Stage
    home: Feed
    away: Feed
    round: int = 0  # a fixed round (round robin); 0 means as early as possible
    replay_of: str = ""  # played only if the away team won that match (bracket reset)


@dataclass(frozen=True, slots=True)
class Slot:
    """A planned match that will be played, with feeds resolved past skipped matches."""

    match: PlannedMatch
    round: int
    home: Feed
    away: Feed | None  # None: a bye


def schedule(plan: Sequence[PlannedMatch], team_count: int) -> tuple[Slot, ...]:
    # For each match output: the feed it really comes from and the round it is known.
    outputs: dict[Feed, tuple[Feed, int] | None] = {}

    def resolve(feed: Feed) -> tuple[Feed, int] | None:
        if feed.kind == "seed":
            return (feed, 0) if feed.seed <= team_count else None
        return outputs[feed]

    slots: list[Slot] = []
    for planned in plan:
        home, away = resolve(planned.home), resolve(planned.away)
        winner, loser = winner_of(planned.id), loser_of(planned.id)
        if home is not None and away is not None:
            round_ = planned.round or 1 + max(home[1], away[1])
            slots.append(Slot(planned, round_, home[0], away[0]))
            outputs[winner], outputs[loser] = (winner, round_), (loser, round_)
        elif home is None and away is None:
            outputs[winner] = outputs[loser] = None
        else:
            live = home if home is not None else away
            assert live is not None
            if live[1] == 0:
                slots.append(Slot(planned, 1, live[0], None))
                outputs[winner] = (winner, 1)
            else:
                outputs[winner] = live
            outputs[loser] = None
    return tuple(slots)
