"""Opening and closing a whole round at once: a group round has many duels together.

Each duel goes through the same steps as when a host opens it alone
(`tournament.open_voting` / `close_voting`); a duel that cannot open (e.g. its videos are
not approved) is reported and the others still open.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import redis

import bracket as engine
from duels import bracket_sync, tournament
from duels.errors import DomainError
from duels.records import Duel


@dataclass(frozen=True, slots=True)
class RoundVoting:
    round: int
    changed: list[str] = field(default_factory=list)  # duel ids opened or closed
    skipped: list[dict[str, str]] = field(default_factory=list)  # {duel, code, message}


def open_round(
    client: redis.Redis,
    cid: str,
    *,
    closes_at: float | None = None,
    require_videos: bool = False,
    mail_ready: bool = True,
    actor: str = "host",
) -> RoundVoting:
    """Open voting on every duel (every challenge) of the current round not yet opened."""
    state = tournament.require_bracket(client, cid)
    outcome = RoundVoting(state.round)
    for duel in _round_duels(client, cid, state):
        if duel.status != "pending" or not duel.away:
            continue
        try:
            tournament.open_voting(
                client,
                duel.id,
                closes_at=closes_at,
                actor=actor,
                require_videos=require_videos,
                mail_ready=mail_ready,
            )
        except DomainError as refused:
            outcome.skipped.append(
                {"duel": duel.id, "code": refused.code, "message": refused.message}
            )
        else:
            outcome.changed.append(duel.id)
    return outcome


def close_round(client: redis.Redis, cid: str, *, actor: str = "host") -> RoundVoting:
    """Close every duel of the current round that is open for voting."""
    state = tournament.require_bracket(client, cid)
    outcome = RoundVoting(state.round)
    for duel in _round_duels(client, cid, state):
        if duel.status == "voting":
            tournament.close_voting(client, duel.id, actor=actor)
            outcome.changed.append(duel.id)
    return outcome


def _round_duels(client: redis.Redis, cid: str, state: engine.Bracket) -> list[Duel]:
    duels = bracket_sync.duels_by_key(client, cid)
    return [
        duel
        for match in engine.open_matches(state)
        for duel in bracket_sync.leg_duels(match, duels)
    ]
