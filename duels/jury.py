"""Jury points from the jury members' own phones.

Each jury member's points for a duel are kept apart (``<duel>:jury``, person -> points);
the duel's jury points are their sum, written through ``tournament.set_jury`` so the
tie-breaker and the results read them as before. A member may change their points until
the duel closes; every entry is audited under their name.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis

from duels import errors, keys, organisations, store, tournament
from duels.access import Permission, Principal, Role, permissions, roles_of
from duels.records import Duel

OPEN_FOR_JURY = ("pending", "voting")  # closed or decided: read-only


@dataclass(frozen=True, slots=True)
class JuryScore:
    user_id: str
    home: float
    away: float


def scores_for_all(client: redis.Redis, principal: Principal, cid: str) -> bool:
    """Owners and the host token set the duel's jury points directly (paper jury)."""
    if principal.is_installation:
        return True
    return Role.OWNER in roles_of(client, principal, cid) and principal.key_role in (
        None,
        Role.OWNER,
    )


def submit(client: redis.Redis, did: str, principal: Principal, home: float, away: float) -> Duel:
    duel = store.get_duel(client, did)
    if duel.status not in OPEN_FOR_JURY:
        raise errors.Conflict("Voting of this duel has closed.", code="jury_closed")
    if Permission.JURY not in permissions(client, principal, duel.competition):
        raise errors.Forbidden("Your role does not allow this (jury).", code="role_forbidden")
    if not (0 <= home <= 10_000 and 0 <= away <= 10_000):
        raise errors.Invalid("Jury points are between 0 and 10000.", code="invalid_jury")
    client.hset(keys.duel_jury(did), principal.user_id, f"{home!r},{away!r}")
    total_home = total_away = 0.0
    for score in scores(client, did):
        total_home += score.home
        total_away += score.away
    return tournament.set_jury(client, did, total_home, total_away, actor=principal.actor)


def scores(client: redis.Redis, did: str) -> list[JuryScore]:
    raw: dict[str, str] = client.hgetall(keys.duel_jury(did))  # type: ignore[assignment]
    found = []
    for uid, value in raw.items():
        home, _, away = value.partition(",")
        found.append(JuryScore(uid, float(home), float(away)))
    return found


def expected_jurors(client: redis.Redis, cid: str, did: str) -> list[str]:
    """Jury members who should score ``did``: assigned to it, or to every duel."""
    return sorted(
        uid
        for uid, duels in organisations.jury_assignments(client, cid).items()
        if not duels or did in duels
    )


def missing(client: redis.Redis, cid: str, did: str) -> list[str]:
    """Jury members assigned to ``did`` who have not scored it yet (user ids)."""
    done = {score.user_id for score in scores(client, did)}
    return [uid for uid in expected_jurors(client, cid, did) if uid not in done]
