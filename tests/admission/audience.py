"""An audience for the admission tests: phones (and bots) talking to a real web server,
each seen from its own address through the proxy header the server trusts from
localhost, and the host's set-up of a one-duel competition."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import redis

from duels import keys
from tests.conftest import HOST_TOKEN
from voting.tokens import solve

HOST = {"Authorization": f"Bearer {HOST_TOKEN}"}
PHONE_AGENTS = tuple(
    f"Mozilla/5.0 (Linux; Android 1{n % 5}; Phone {n}) AppleWebKit/537.36 Chrome/13{n}.0 Mobile"
    for n in range(20)
)


@dataclass(frozen=True)
class Duel:
    cid: str
    did: str
    home: str
    away: str


def host_duel(base_url: str, admission: str, **open_body: Any) -> Duel:
    """A competition in ``admission`` mode with two teams, drawn and opened."""
    with httpx.Client(base_url=base_url, headers=HOST, timeout=10) as host:

        def post(path: str, body: dict[str, Any] | None = None) -> Any:
            response = host.post(path, json=body)
            assert response.status_code in (200, 201), response.text
            return response.json()

        cid = post("/api/competitions", {"title": "Publikumspreis", "admission": admission})["id"]
        teams = []
        for company, team in (("Bäckerei Korn", "Teigtaucher"), ("Tischlerei Span", "Hobler")):
            company_id = post(f"/api/competitions/{cid}/companies", {"name": company})["id"]
            body = {"company_id": company_id, "name": team, "trade": "Bäcker/in"}
            teams.append(post(f"/api/competitions/{cid}/teams", body)["id"])
        post(f"/api/competitions/{cid}/bracket", {"seeding": "manual", "order": teams})
        bracket = host.get(f"/api/competitions/{cid}/bracket").json()
        did = bracket["rounds"][0]["duels"][0]["id"]
        post(f"/api/duels/{did}/open", open_body or None)
    return Duel(cid, did, teams[0], teams[1])


class Phone:
    """One browser: its own cookies, address and user agent."""

    def __init__(self, base_url: str, address: str, agent: str) -> None:
        headers = {"X-Forwarded-For": address, "User-Agent": agent}
        self.http = httpx.Client(base_url=base_url, headers=headers, timeout=10)

    def close(self) -> None:
        self.http.close()

    def forget(self) -> None:
        """Clear cookies (a bot minting a new voter for every vote)."""
        self.http.cookies.clear()

    def open(self, url: str) -> httpx.Response:
        return self.http.get(url, follow_redirects=True)

    def vote(self, did: str, team: str, *, solve_pow: bool = True) -> httpx.Response:
        body: dict[str, Any] = {"team_id": team}
        for _ in range(3):
            response = self.http.post(f"/api/duels/{did}/votes", json=body)
            challenge = response.json().get("detail", {}).get("challenge")
            if response.status_code != 403 or not challenge or not solve_pow:
                return response
            body["pow"] = {
                "challenge": challenge["challenge"],
                "nonce": solve(challenge["challenge"], challenge["difficulty"]),
            }
        return response


def counted(client: redis.Redis, duel: Duel) -> tuple[dict[str, int], dict[str, int]]:
    """(official, held back) votes per team."""
    raw = {k: int(v) for k, v in client.hgetall(keys.official(duel.did)).items()}  # type: ignore[union-attr]
    teams = (duel.home, duel.away)
    return {t: raw.get(t, 0) for t in teams}, {t: raw.get(f"q:{t}", 0) for t in teams}


def tallied(client: redis.Redis, duel: Duel, accepted: int) -> bool:
    official, held = counted(client, duel)
    return sum(official.values()) + sum(held.values()) >= accepted
