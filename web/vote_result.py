"""What the vote page shows once voting has ended: the winner (when decided), the score
when the counts are public, and the duel of the same competition that is open now."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from duels import keys, store
from duels.records import Duel
from workers import tally

ENDED = ("closed", "decided")


@dataclass(frozen=True, slots=True)
class Line:
    team_id: str
    name: str
    votes: int
    percent: int | None  # None at 0 votes: no team shows "50 %"


@dataclass(frozen=True, slots=True)
class NextDuel:
    id: str
    title: str


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str
    winner: str  # the winner's name once decided, else ""
    public: bool  # the counts may be shown (records.counts_public)
    revealed: bool
    lines: tuple[Line, ...]
    total: int
    next_duel: NextDuel | None

    @property
    def ended(self) -> bool:
        return self.status in ENDED


def outcome(client: redis.Redis, did: str, names: dict[str, str]) -> Outcome:
    """``names`` maps the duel's team ids to the names the page shows."""
    duel = store.get_duel(client, did)
    public = duel.counts_public and duel.status in ENDED
    lines: tuple[Line, ...] = ()
    total = 0
    if public:
        votes = _final_counts(client, duel)
        total = sum(votes.values())
        lines = _lines(duel, votes, names, total)
    winner = names.get(duel.winner, "") if duel.status == "decided" else ""
    return Outcome(
        status=duel.status,
        winner=winner,
        public=public,
        revealed=duel.revealed_at is not None,
        lines=lines,
        total=total,
        next_duel=_open_duel(client, duel) if duel.status != "voting" else None,
    )


def _final_counts(client: redis.Redis, duel: Duel) -> dict[str, int]:
    """Official counts once tallied (quarantined votes left out), else the provisional."""
    pipe = client.pipeline(transaction=False)
    pipe.hgetall(keys.official(duel.id))
    pipe.hgetall(keys.provisional(duel.id))
    official, provisional = pipe.execute()
    if official:
        counts, _ = tally.split_official({k: int(v) for k, v in official.items()}, duel.teams)
        return counts
    return {team: int(provisional.get(team, 0)) for team in duel.teams}


def _lines(
    duel: Duel, votes: dict[str, int], names: dict[str, str], total: int
) -> tuple[Line, ...]:
    lines = []
    given = 0
    for n, team in enumerate(duel.teams):
        count = votes.get(team, 0)
        percent: int | None = None
        if total:
            # The shares add up to 100 however they round.
            last = n == len(duel.teams) - 1
            percent = 100 - given if last else round(100 * count / total)
            given += percent
        lines.append(Line(team, names.get(team, team), count, percent))
    return tuple(lines)


def _open_duel(client: redis.Redis, duel: Duel) -> NextDuel | None:
    running = [
        other
        for other in store.duels_of_competition(client, duel.competition)
        if other.status == "voting" and other.id != duel.id and other.away
    ]
    if not running:
        return None
    first = min(running, key=lambda other: (other.round, other.match, other.id))
    title = first.title or f"{first.home_name} – {first.away_name}"
    return NextDuel(first.id, title)
