"""Duels written exactly as the domain contract says ``duels/store.py`` writes them."""

from __future__ import annotations

import json
import secrets

import redis

from duels import keys
from voting.tokens import VoteSecrets, new_voter_id


def make_duel(
    client: redis.Redis,
    *,
    status: str = "voting",
    home_name: str = "Team Funke",
    away_name: str = "Team Welle",
    show_results: bool = True,
    opens_at: str = "",
    closes_at: str = "",
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    cid = "c" + secrets.token_hex(4)
    did = "d" + secrets.token_hex(4)
    home, away = "t" + secrets.token_hex(4), "t" + secrets.token_hex(4)
    home_company, away_company = "k" + secrets.token_hex(4), "k" + secrets.token_hex(4)
    client.hset(
        keys.competition(cid),
        mapping={"id": cid, "title": "Testcup", "slug": cid, "created_at": "1700000000"},
    )
    client.sadd(keys.COMPETITIONS, cid)
    for company_id, name in ((home_company, "Elektro Ohm GmbH"), (away_company, "Stadtwerke")):
        client.hset(
            keys.companies(cid),
            company_id,
            json.dumps({"id": company_id, "competition": cid, "name": name}),
        )
    for team_id, company_id, name in (
        (home, home_company, home_name),
        (away, away_company, away_name),
    ):
        team = {"id": team_id, "competition": cid, "company_id": company_id, "name": name,
                "trade": "Elektroniker/in", "members": ["Ada", "Ben"]}  # fmt: skip
        client.hset(keys.teams(cid), team_id, json.dumps(team))
    duel = {
        "id": did, "competition": cid, "match": "r1m1", "round": "1",
        "home": home, "away": away, "home_name": home_name, "away_name": away_name,
        "home_company": home_company, "away_company": away_company,
        "trade": "Elektroniker/in", "title": "Lichtschalter verdrahten", "status": status,
        "opens_at": opens_at, "closes_at": closes_at,
        "show_results": "1" if show_results else "0", "winner": "", "decided_by": "",
        **(extra or {}),
    }  # fmt: skip
    client.hset(keys.duel(did), mapping=duel)
    client.hset(keys.duel_index(cid), "r1m1", did)
    return duel


def voter_cookie(secret_key: str, voter_id: str | None = None) -> str:
    return VoteSecrets(secret_key).sign_voter(voter_id or new_voter_id())
