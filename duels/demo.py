"""Seed data for ``machmal demo``: eight companies, their trades, a drawn bracket,
and the first duel open for voting."""

from __future__ import annotations

import redis

from duels import store, tournament
from duels.errors import NotFound
from duels.settings import Settings

DEMO_SLUG = "demo"
DEMO_TITLE = "Mach mal – Demo-Duell 2026"
DEMO_SEED = 2026
DEMO_TEAMS = (
    ("Bäckerei Sonnenkorn", "Die Teigtaucher", "Bäcker/in", ("Lena", "Murat")),
    ("Autohaus Kraftwerk", "Schraubgenies", "Kfz-Mechatroniker/in", ("Jonas", "Aylin")),
    ("Elektro Blitzblank", "Die Stromer", "Elektroniker/in", ("Finn", "Sara")),
    ("Pflegeheim Lindenhof", "Herz & Hand", "Pflegefachmann/-frau", ("Mia", "Deniz")),
    ("Tischlerei Holzwurm", "Span-Tastisch", "Tischler/in", ("Paul", "Emma")),
    ("Salon Schnittstelle", "Haarscharf", "Friseur/in", ("Lea", "Can")),
    ("Gärtnerei Grünzeug", "Die Wurzelzwerge", "Gärtner/in", ("Noah", "Hanna")),
    ("Hotel Seeblick", "Koch-Kommando", "Koch/Köchin", ("Ben", "Zoe")),
)


def seed_demo(client: redis.Redis, settings: Settings) -> dict[str, str]:
    """Create the demo competition once; later runs find and reuse it."""
    try:
        competition = store.competition_by_slug(client, DEMO_SLUG)
    except NotFound:
        competition = store.create_competition(client, DEMO_TITLE, DEMO_SLUG)
        for company_name, team_name, trade, members in DEMO_TEAMS:
            company, _ = store.add_company(client, competition.id, company_name)
            store.add_team(client, competition.id, company.id, team_name, trade, members)
        tournament.draw(client, competition.id, seeding="random", seed=DEMO_SEED, actor="demo")
    duels = sorted(store.duels_of_competition(client, competition.id), key=lambda d: d.match)
    first = next((duel for duel in duels if duel.away), duels[0])
    if first.status == "pending":
        tournament.open_voting(client, first.id, actor="demo")
    return {"id": competition.id, "first_duel": first.id}
