"""The demo's companies as they would present themselves: a sentence, a town, a website
and open apprenticeship places, and a few plain words about each trade (#19)."""

from __future__ import annotations

import redis

from duels import apprenticeships, keys, store, trades

# company name -> (about, location, website, start, places, apply by e-mail)
PROFILES = {
    "Bäckerei Sonnenkorn": ("Wir backen seit 1952 mit Sauerteig und frühem Wecker.",
                            "Bielefeld", "www.sonnenkorn.example", "2027-08", 2, False),
    "Autohaus Kraftwerk": ("Vom E-Auto bis zum Oldtimer: Bei uns wird geschraubt und gemessen.",
                           "Gütersloh", "www.kraftwerk-autohaus.example", "2027-08", 3, False),
    "Elektro Blitzblank": ("Wir bringen Strom, Licht und Netzwerk in Häuser der Region.",
                           "Herford", "www.blitzblank.example", "2027-09", 2, True),
    "Pflegeheim Lindenhof": ("92 Bewohnerinnen und Bewohner, ein Team, das zusammenhält.",
                             "Minden", "www.lindenhof-pflege.example", "2027-10", 4, False),
    "Tischlerei Holzwurm": ("Möbel nach Maß aus heimischem Holz, gebaut in der eigenen Werkstatt.",
                            "Detmold", "www.holzwurm-tischlerei.example", "2027-08", 1, True),
    "Salon Schnittstelle": ("Schnitt, Farbe, Style: Wir sind der Salon mit der längsten Playlist.",
                            "Bielefeld", "www.schnittstelle.example", "2027-08", 1, True),
    "Gärtnerei Grünzeug": ("Stauden, Gemüse und Gärten, die wir für unsere Kundschaft anlegen.",
                           "Paderborn", "www.gruenzeug.example", "2027-08", 2, False),
    "Hotel Seeblick": ("Hotel mit 60 Zimmern und einer Küche, die nie stillsteht.",
                       "Minden", "www.hotel-seeblick.example", "2027-08", 2, False),
}  # fmt: skip
TRADES = {
    "Bäcker/in": ("Bäckerinnen und Bäcker machen aus Mehl, Wasser und Zeit Brot, Brötchen "
                  "und Gebäck. Die Arbeit beginnt früh, dafür ist am Nachmittag frei.",
                  "Bakers turn flour, water and time into bread, rolls and pastries."),
    "Kfz-Mechatroniker/in": ("Kfz-Mechatronikerinnen und -Mechatroniker warten und reparieren "
                             "Autos, von der Bremse bis zur Elektronik im E-Auto.",
                             "Automotive mechatronics technicians service and repair cars."),
    "Elektroniker/in": ("Elektronikerinnen und Elektroniker verlegen Leitungen, schließen "
                        "Anlagen an und sorgen dafür, dass Strom sicher fließt.",
                        "Electronics technicians install wiring and make power safe."),
    "Pflegefachmann/-frau": ("Pflegefachleute begleiten Menschen, die Hilfe brauchen: "
                             "medizinisch, praktisch und menschlich.",
                             "Nurses care for people who need help, medically and humanly."),
    "Tischler/in": ("Tischlerinnen und Tischler planen und bauen Möbel, Türen und Treppen aus "
                    "Holz, mit Hand und Maschine.",
                    "Joiners plan and build furniture, doors and stairs from wood."),
    "Friseur/in": ("Friseurinnen und Friseure schneiden, färben und beraten: Handwerk mit "
                   "viel Kontakt zu Menschen.", "Hairdressers cut, colour and advise."),
    "Gärtner/in": ("Gärtnerinnen und Gärtner ziehen Pflanzen und legen Gärten an, meistens "
                   "draußen und mit sichtbarem Ergebnis.",
                   "Gardeners grow plants and lay out gardens."),
    "Koch/Köchin": ("Köchinnen und Köche bereiten Gerichte zu, planen Menüs und halten die "
                    "Küche am Laufen.", "Chefs cook, plan menus and keep the kitchen running."),
}  # fmt: skip


def seed_places(client: redis.Redis, cid: str) -> None:
    """Profiles, places and trade texts for the demo's companies (once)."""
    if client.exists(keys.profiles(cid)):
        return
    teams = {team.company_id: team for team in store.list_teams(client, cid)}
    for company in store.list_companies(client, cid):
        found = PROFILES.get(company.name)
        team = teams.get(company.id)
        if found is None or team is None:
            continue
        about, location, website, starts, count, by_mail = found
        apprenticeships.update_profile(
            client, cid, company.id, about=about, location=location, website=website,
            actor="demo",
        )  # fmt: skip
        host = website.removeprefix("www.")
        apprenticeships.add_place(
            client, cid, company.id, trade=team.trade, starts=starts, count=count,
            apply_url="" if by_mail else f"https://{website}/ausbildung",
            apply_email=f"ausbildung@{host}" if by_mail else "", actor="demo",
        )  # fmt: skip
    for name, (about_de, about_en) in TRADES.items():
        slug = trades.slug(name)
        if slug in trades.trades_of(client, cid):
            trades.describe(client, cid, slug, about_de, about_en, actor="demo")
