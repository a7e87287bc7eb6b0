"""Drive a competition through the host API like a host would."""

from __future__ import annotations

from typing import Any

import redis
from starlette.testclient import TestClient

from duels import keys


class Host:
    def __init__(self, client: TestClient, headers: dict[str, str]) -> None:
        self.client = client
        self.headers = headers

    def post(self, path: str, body: dict[str, Any] | None = None, expect: int = 200) -> Any:
        response = self.client.post(path, json=body, headers=self.headers)
        assert response.status_code == expect, response.text
        return response.json()

    def competition(
        self, teams: int, companies: int | None = None, **options: Any
    ) -> tuple[str, list[dict[str, Any]]]:
        """A competition with ``teams`` teams spread over ``companies`` companies."""
        cid = self.post("/api/competitions", {"title": "Testcup", **options}, 201)["id"]
        company_ids = [
            self.post(f"/api/competitions/{cid}/companies", {"name": f"Firma {n}"}, 201)["id"]
            for n in range(companies or teams)
        ]
        created = [
            self.post(
                f"/api/competitions/{cid}/teams",
                {"company_id": company_ids[n % len(company_ids)], "name": f"Team {n}",
                 "trade": ["Bäcker/in", "Tischler/in", "Koch/Köchin"][n % 3]},
                201,
            )
            for n in range(teams)
        ]  # fmt: skip
        return cid, created

    def bracket(self, cid: str) -> dict[str, Any]:
        response = self.client.get(f"/api/competitions/{cid}/bracket")
        assert response.status_code == 200
        return response.json()  # type: ignore[no-any-return]

    def current_duels(self, cid: str) -> list[dict[str, Any]]:
        view = self.bracket(cid)
        return [d for r in view["rounds"] if r["number"] == view["round"] for d in r["duels"]]


def record_official_counts(client: redis.Redis, did: str, counts: dict[str, int]) -> None:
    """Write official counts the way the tally worker leaves them (team -> votes)."""
    client.hset(keys.official(did), mapping=counts)  # type: ignore[arg-type]


def play_round(host: Host, redis_client: redis.Redis, cid: str, pick_home: bool = True) -> None:
    """Open, count and close every open duel of the current round; the favoured side wins."""
    for duel in host.current_duels(cid):
        if duel["status"] == "decided":
            continue
        host.post(f"/api/duels/{duel['id']}/open")
        winner, loser = (duel["home"], duel["away"]) if pick_home else (duel["away"], duel["home"])
        record_official_counts(redis_client, duel["id"], {winner["id"]: 7, loser["id"]: 3})
        host.post(f"/api/duels/{duel['id']}/close")
