"""Writing a bracket state: the duel records in line with the bracket, then the bracket.

A match of the bracket is one duel record, or one per challenge in a best-of-N duel
(leg n is indexed as "{match}/{n}"). The bracket is written last: it is the source
of truth, and a duel record written before a crash is harmless.
"""

from __future__ import annotations

import orjson
import redis

import bracket as engine
from duels import keys, store
from duels.records import Competition, Duel, Team, leg_key, new_id


def save_bracket(
    client: redis.Redis, competition: Competition, state: engine.Bracket, teams: dict[str, Team]
) -> None:
    cid = competition.id
    index: dict[str, str] = client.hgetall(keys.duel_index(cid))  # type: ignore[assignment]
    pipe = client.pipeline(transaction=False)
    for match in state.matches:
        for leg in range(1, match.legs + 1):
            key = leg_key(match.id, leg)
            did = index.get(key)
            if did is None:
                did = index[key] = new_id("d", 7)
                pipe.hset(keys.duel_index(cid), key, did)
                duel = new_duel(cid, did, match, teams, leg)
                pipe.hset(keys.duel(did), mapping=duel.to_redis())
            result = match.result
            if result is not None:
                pipe.hset(
                    keys.duel(did),
                    mapping={
                        "status": "decided",
                        "winner": result.winner,
                        "decided_by": result.decided_by,
                    },
                )
            else:
                pipe.hset(keys.duel(did), mapping={"winner": "", "decided_by": ""})
                pipe.hsetnx(keys.duel(did), "status", "pending")
    pipe.execute()
    _reopen_undecided(client, state, index)
    _update_wins(client, cid, state, teams)
    client.set(keys.bracket(cid), orjson.dumps(engine.to_dict(state)))


def leg_duels(match: engine.Match, duels: dict[str, Duel]) -> list[Duel]:
    """The duel records of a match, leg 1 first; `duels` by index key."""
    return [duels[leg_key(match.id, leg)] for leg in range(1, match.legs + 1)]


def _reopen_undecided(client: redis.Redis, state: engine.Bracket, index: dict[str, str]) -> None:
    """After an undo, duels whose result vanished are closed again, not decided."""
    for match in state.matches:
        if match.result is not None:
            continue
        for leg in range(1, match.legs + 1):
            did = index.get(leg_key(match.id, leg))
            if did and client.hget(keys.duel(did), "status") == "decided":
                client.hset(keys.duel(did), "status", "closed")


def _update_wins(
    client: redis.Redis, cid: str, state: engine.Bracket, teams: dict[str, Team]
) -> None:
    """Duels won per company, recomputed from the bracket (idempotent)."""
    wins: dict[str, int] = {}
    for match in state.matches:
        if match.result and match.result.decided_by != "bye":
            company = teams[match.result.winner].company_id
            wins[company] = wins.get(company, 0) + 1
    pipe = client.pipeline(transaction=True)
    pipe.delete(keys.board_wins(cid))
    if wins:
        pipe.zadd(keys.board_wins(cid), dict(wins))
    pipe.execute()


def new_duel(cid: str, did: str, match: engine.Match, teams: dict[str, Team], leg: int = 1) -> Duel:
    home = teams[match.home]
    away = teams.get(match.away or "")
    trade, title = match.trade, match.title or default_title(home, away)
    if match.legs > 1 and away is not None:
        # Each team brings its own trade: odd challenges the home team's, even the away's.
        trade = (home.trade if leg % 2 else away.trade) or match.trade
        title = f"{trade}-Challenge"
    return Duel(
        id=did,
        competition=cid,
        match=match.id,
        round=match.round,
        home=home.id,
        away=away.id if away else "",
        home_name=home.name,
        away_name=away.name if away else "",
        home_company=home.company_id,
        away_company=away.company_id if away else "",
        trade=trade,
        title=title,
        leg=leg,
        legs=match.legs,
    )


def default_title(home: Team, away: Team | None) -> str:
    """A challenge title taken from the teams until the host sets one."""
    if away is None:
        return f"{home.trade}: Freilos"
    if home.trade == away.trade:
        return f"{home.trade}-Challenge"
    return f"{home.trade} gegen {away.trade}"


def teams_of(client: redis.Redis, cid: str) -> dict[str, Team]:
    return {team.id: team for team in store.list_teams(client, cid)}


def duels_by_key(client: redis.Redis, cid: str) -> dict[str, Duel]:
    """Every duel record of the competition by its index key (match, or match/leg)."""
    return {duel.index_key: duel for duel in store.duels_of_competition(client, cid)}
