"""Duels and votes for the tally tests, written the way the store and the ingest write them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import redis

from duels import keys, store, tournament
from workers import tally


@dataclass(frozen=True)
class DuelFixture:
    cid: str
    did: str
    home: str
    away: str
    home_company: str
    away_company: str

    @property
    def teams(self) -> tuple[str, str]:
        return self.home, self.away


def make_duel(
    client: redis.Redis,
    *,
    status: str = "voting",
    closes_at: float | None = None,
    show_results: bool = True,
) -> DuelFixture:
    """A competition of two companies with one team each, drawn into one duel."""
    # A slug of our own: the default one has 16 random bits, too few for many duels.
    competition = store.create_competition(client, "Tally-Pokal", f"tally-{secrets.token_hex(6)}")
    cid = competition.id
    baker, _ = store.add_company(client, cid, "Bäckerei Korn")
    joiner, _ = store.add_company(client, cid, "Tischlerei Span")
    home = store.add_team(client, cid, baker.id, "Teigtaschen", "Bäcker/in")
    away = store.add_team(client, cid, joiner.id, "Hobelbande", "Tischler/in")
    tournament.draw(client, cid, seeding="manual", order=[home.id, away.id])
    (did,) = (str(value) for value in client.hvals(keys.duel_index(cid)))
    if status in ("voting", "closed"):
        tournament.open_voting(client, did, show_results=show_results)
    if status == "closed":
        tournament.close_voting(client, did)
    if closes_at is not None:
        # As if the host had set an end time that has now come.
        client.hset(keys.duel(did), "closes_at", repr(closes_at))
    return DuelFixture(cid, did, home.id, away.id, baker.id, joiner.id)


def hex12(number: int) -> str:
    return f"{number:012x}"


def add_votes(
    client: redis.Redis,
    did: str,
    teams: tuple[str, ...],
    count: int,
    *,
    network: str | None = None,
    agent: str | None = None,
    start: int = 0,
) -> list[str]:
    """``count`` accepted votes, alternating teams, as the ingest script appends them.

    By default every 10 votes share a network and every 7 a user agent: spread enough that
    no fraud rule fires. Returns the stream ids.
    """
    pipe = client.pipeline(transaction=False)
    for number in range(start, start + count):
        team = teams[number % len(teams)]
        fields: dict[Any, Any] = {
            "t": team,
            "v": f"voter{number}",
            "n": network or hex12(10_000 + number // 10),
            "u": agent or hex12(20_000 + number // 7),
            "ip": hex12(30_000 + number),
        }
        pipe.xadd(keys.votes(did), fields)
        pipe.sadd(keys.voters(did), f"voter{number}")
        pipe.hincrby(keys.provisional(did), team, 1)
    replies = pipe.execute()
    return [str(reply) for reply in replies[::3]]


def official(client: redis.Redis, did: str) -> dict[str, int]:
    return {k: int(v) for k, v in client.hgetall(keys.official(did)).items()}  # type: ignore[union-attr]


def official_total(client: redis.Redis, fixture: DuelFixture) -> int:
    """Every tallied vote: counted officially or held in quarantine."""
    counts = official(client, fixture.did)
    return sum(counts.get(team, 0) + counts.get(f"q:{team}", 0) for team in fixture.teams)


def provisional(client: redis.Redis, did: str) -> dict[str, int]:
    return {k: int(v) for k, v in client.hgetall(keys.provisional(did)).items()}  # type: ignore[union-attr]


def pending_count(client: redis.Redis, did: str) -> int:
    summary = client.xpending(keys.votes(did), tally.GROUP)
    return int(summary["pending"])  # type: ignore[index]
