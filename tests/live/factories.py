"""A drawn competition built through the real domain functions (store, tournament)."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from duels import store, tournament


@dataclass
class Competition:
    cid: str
    team_ids: list[str]
    company_ids: list[str]
    duel_ids: list[str]  # round 1, bracket order


def make_competition(
    client: redis.Redis, team_names: list[str] | None = None, companies: int = 2
) -> Competition:
    names = team_names or ["Team Hobel", "Team Teig", "Team Kelle", "Team Zange"]
    competition = store.create_competition(client, "Live-Cup")
    company_ids = [
        store.add_company(client, competition.id, f"Firma {n}")[0].id for n in range(companies)
    ]
    teams = [
        store.add_team(client, competition.id, company_ids[n % companies], name, "Tischler/in")
        for n, name in enumerate(names)
    ]
    tournament.draw(
        client,
        competition.id,
        seeding="manual",
        order=[team.id for team in teams],
    )
    view_duels = [duel for duel in store.duels_of_competition(client, competition.id)]
    duel_ids = [duel.id for duel in sorted(view_duels, key=lambda d: d.match)]
    return Competition(competition.id, [t.id for t in teams], company_ids, duel_ids)
