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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from bracket.models import Entrant, Match, Result, Stage

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


def matches_of_round(
    slots: Sequence[Slot],
    seeds: Sequence[Entrant],
    played: Mapping[str, Match],
    round_: int,
    *,
    first_round: int = 1,
    prefix: str = "",
    legs: int = 1,
) -> tuple[Match, ...]:
    """The matches of a round of the plan, teams filled in from seeds and results.

    Plan round r is played as round first_round + r - 1, its matches named prefix + id
    (a knockout after a group stage starts later and must not reuse the groups' ids).
    """
    local = round_ - first_round + 1
    by_id = {entrant.id: entrant for entrant in seeds}

    def team(feed: Feed) -> Entrant:
        if feed.kind == "seed":
            return seeds[feed.seed - 1]
        result = played[prefix + feed.match_id].result
        assert result is not None
        winner = feed.kind == "winner"
        team_id = result.winner if winner else result.loser
        assert team_id is not None  # schedule() never feeds a bye's loser on
        return by_id[team_id]

    created = []
    for slot in slots:
        if slot.round != local:
            continue
        if slot.match.replay_of:
            first = played[prefix + slot.match.replay_of]
            if first.result is None or first.result.winner != first.away:
                continue
        match_id, stage = prefix + slot.match.id, slot.match.stage
        home = team(slot.home)
        if slot.away is None:
            bye = Result(home.id, None, "bye")
            created.append(Match(match_id, round_, stage, home.id, None, home.trade, "", bye))
            continue
        away = team(slot.away)
        # Same trade: that one; otherwise the home team's (the away's if home has none).
        trade = home.trade or away.trade
        created.append(Match(match_id, round_, stage, home.id, away.id, trade, legs=legs))
    return tuple(created)
