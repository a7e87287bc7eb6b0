"""Where a duel leads a viewer (#19): the read models of the public apprenticeship pages.

The competition's places page (``/c/{cid}/ausbildung``), its open-data feed
(``/api/competitions/{cid}/places``), the trade pages (``/berufe/{slug}``) and the vote
page's "Ausbildung bei <Firma>" cards all read one :class:`Snapshot` of a competition: its
companies, teams, profiles and trade texts, in one Redis round trip (one pipeline on keys of
one hash tag). Which places are open is the rule of ``duels.apprenticeships.open_places``
(profiles a host hid show nothing; places of removed companies are gone), applied to the
snapshot. Every apply link goes through the counting redirect ``/go/{cid}/{place_id}``.

The vote page is the hot path: it reads the snapshot only for a voter who has voted or a
duel that has ended, and through :class:`SnapshotCache` (a few seconds per process).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import orjson
import redis
import redis.asyncio as aioredis

from duels import keys
from duels.apprenticeships import Place, Profile
from duels.records import Company, Duel, Team
from duels.trades import Trade, slug

# What the snapshot reads, in this order.
_READS = ("companies", "teams", "profiles", "trades")


@dataclass(frozen=True, slots=True)
class Snapshot:
    cid: str
    companies: dict[str, Company]
    teams: dict[str, Team]
    profiles: dict[str, Profile]  # every company's, an empty one where none was written
    texts: dict[str, Trade]  # the host's words per trade slug
    places: tuple[tuple[Place, Profile], ...] = field(default=())

    def company_name(self, company_id: str) -> str:
        company = self.companies.get(company_id)
        return company.name if company else ""

    def trades(self) -> dict[str, Trade]:
        """Every trade of the teams and open places by slug (``duels.trades.trades_of``)."""
        names = [team.trade for team in self.teams.values()]
        names += [place.trade for place, _ in self.places]
        found: dict[str, Trade] = {}
        for name in names:
            key = slug(name)
            if key and key not in found:
                found[key] = self.texts.get(key) or Trade(key, name)
        return dict(sorted(found.items(), key=lambda item: item[1].name.lower()))


def _parse(cid: str, raw: list[dict[str, str]]) -> Snapshot:
    companies = {c.id: c for c in (Company.from_json(v) for v in raw[0].values())}
    teams = {t.id: t for t in (Team.from_json(v) for v in raw[1].values())}
    stored = {company: Profile.from_json(value) for company, value in raw[2].items()}
    profiles = {cid_: stored.get(cid_, Profile(cid_)) for cid_ in companies}
    texts = {key: Trade(**orjson.loads(value)) for key, value in raw[3].items()}
    found = [
        (place, profile)
        for profile in profiles.values()
        if not profile.hidden
        for place in profile.places
    ]
    found.sort(key=lambda item: (item[0].trade.lower(), item[0].starts or "9999"))
    return Snapshot(cid, companies, teams, profiles, texts, tuple(found))


def _key_of(cid: str, what: str) -> str:
    return {
        "companies": keys.companies,
        "teams": keys.teams,
        "profiles": keys.profiles,
        "trades": keys.trades,
    }[what](cid)


def snapshot(client: redis.Redis, cid: str) -> Snapshot:
    pipe = client.pipeline(transaction=False)
    for what in _READS:
        pipe.hgetall(_key_of(cid, what))
    return _parse(cid, pipe.execute())


async def snapshot_async(client: aioredis.Redis, cid: str) -> Snapshot:
    async with client.pipeline(transaction=False) as pipe:
        for what in _READS:
            pipe.hgetall(_key_of(cid, what))
        raw = await pipe.execute()
    return _parse(cid, raw)


class SnapshotCache:
    """Snapshots kept ``ttl`` seconds in this process (like ``voting.page.Roster``):
    profiles change in a company's portal, not between two phones' page views."""

    def __init__(self, ttl: float = 5.0, size: int = 256) -> None:
        self.ttl = ttl
        self.size = size
        self._kept: dict[str, tuple[float, Snapshot]] = {}

    async def read(self, client: aioredis.Redis, cid: str) -> Snapshot:
        now = time.monotonic()
        kept = self._kept.get(cid)
        if kept is not None and kept[0] > now:
            return kept[1]
        fresh = await snapshot_async(client, cid)
        if len(self._kept) >= self.size:
            self._kept.clear()
        self._kept[cid] = (now + self.ttl, fresh)
        return fresh


# Words and links --------------------------------------------------------------------


def start_words(starts: str, t: Any) -> str:
    """ "2027-08" -> "ab August 2027" (``t`` is the page's translator); "" for none."""
    if len(starts) != 7:
        return ""
    year, month = starts[:4], int(starts[5:])
    return str(t("places.starts", month=t(f"places.month.{month}"), year=year))


def go_url(cid: str, place_id: str, duel_id: str = "") -> str:
    """The counting redirect to a place's application page (``/go``, #19)."""
    path = f"/go/{quote(cid, safe='')}/{quote(place_id, safe='')}"
    return f"{path}?d={quote(duel_id, safe='')}" if duel_id else path


def logo_path(cid: str, profile: Profile) -> str:
    """The company's logo on the public pages, versioned by its profile's last change."""
    if not profile.logo:
        return ""
    return f"/c/{cid}/logo/{profile.company_id}.png?v={int(profile.updated_at)}"


def short_link(public_url: str, cid: str) -> str:
    """ "duell.example.org/c/<cid>/ausbildung": the places page without the scheme, for
    share cards, the live board and link previews."""
    return f"{public_url.rstrip('/').split('://', 1)[-1]}/c/{cid}/ausbildung"


def _iso_date(epoch: float) -> str:
    return datetime.fromtimestamp(epoch or 0, UTC).date().isoformat()


def _iso_time(epoch: float) -> str:
    return datetime.fromtimestamp(epoch or 0, UTC).isoformat(timespec="seconds")


# The places page --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """One open place as the pages show it."""

    cid: str
    place: Place
    profile: Profile
    company: str  # the company's name
    trade: Trade
    logo: str  # URL path, "" for none
    go: str  # URL path of the redirect

    @property
    def location(self) -> str:
        return self.profile.location


def rows(snap: Snapshot, duel_id: str = "") -> list[Row]:
    trades = snap.trades()
    found = []
    for place, profile in snap.places:
        key = slug(place.trade)
        found.append(
            Row(
                cid=snap.cid,
                place=place,
                profile=profile,
                company=snap.company_name(profile.company_id),
                trade=trades.get(key) or Trade(key, place.trade),
                logo=logo_path(snap.cid, profile),
                go=go_url(snap.cid, place.id, duel_id),
            )
        )
    return found


def filtered(found: list[Row], trade: str, location: str) -> list[Row]:
    """The rows of trade slug ``trade`` and location ``location`` ("" = any)."""
    wanted = location.casefold()
    return [
        row
        for row in found
        if (not trade or row.trade.slug == trade)
        and (not wanted or row.location.casefold() == wanted)
    ]


def choices(found: list[Row]) -> tuple[list[Trade], list[str]]:
    """The filter's select lists: trades and locations that have open places."""
    trades = {row.trade.slug: row.trade for row in found}
    locations = {row.location.casefold(): row.location for row in found if row.location}
    return (
        sorted(trades.values(), key=lambda trade: trade.name.lower()),
        sorted(locations.values(), key=str.casefold),
    )


def job_posting(row: Row, base: str, lang: str, t: Any) -> dict[str, Any]:
    """schema.org JobPosting of one place (what job boards and search engines read)."""
    base = base.rstrip("/")
    trade_text = row.trade.about(lang)
    summary = t(
        "places.jsonld.summary",
        trade=row.trade.name,
        company=row.company,
        places=t.plural("places.count", row.place.count),
    )
    starts = start_words(row.place.starts, t)
    description = " ".join(
        part for part in (row.profile.about, trade_text, summary, starts) if part
    )
    organisation: dict[str, Any] = {"@type": "Organization", "name": row.company}
    if row.profile.website:
        organisation["sameAs"] = row.profile.website
    if row.logo:
        organisation["logo"] = f"{base}{row.logo}"
    address: dict[str, Any] = {"@type": "PostalAddress", "addressCountry": "DE"}
    if row.location:
        address["addressLocality"] = row.location
    posting: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "JobPosting",
        "title": t("places.jsonld.title", trade=row.trade.name),
        "description": description,
        "datePosted": _iso_date(row.profile.updated_at),
        "employmentType": "FULL_TIME",
        "occupationalCategory": row.trade.name,
        "educationRequirements": t("places.jsonld.education"),
        "hiringOrganization": organisation,
        "jobLocation": {"@type": "Place", "address": address},
        "directApply": False,
        "totalJobOpenings": row.place.count,
        "identifier": {"@type": "PropertyValue", "name": row.company, "value": row.place.id},
        "url": f"{base}/c/{row.cid}/ausbildung#place-{row.place.id}",
    }
    if row.place.starts:
        posting["jobStartDate"] = f"{row.place.starts}-01"
        posting["validThrough"] = f"{row.place.starts}-01T00:00:00+00:00"
    return posting


# The open-data feed -----------------------------------------------------------------


def feed(snap: Snapshot, title: str, base: str) -> dict[str, Any]:
    """The competition's open places as plain JSON (docs/places.schema.json)."""
    base = base.rstrip("/")
    cid = snap.cid
    return {
        "competition": {"id": cid, "title": title},
        "places": [
            {
                "id": row.place.id,
                "company": {
                    "id": row.profile.company_id,
                    "name": row.company,
                    "about": row.profile.about or None,
                    "location": row.location or None,
                    "website": row.profile.website or None,
                    "logo": f"{base}{row.logo}" if row.logo else None,
                },
                "trade": {
                    "name": row.trade.name,
                    "slug": row.trade.slug,
                    "url": f"{base}/berufe/{row.trade.slug}?c={cid}",
                },
                "starts": row.place.starts or None,
                "count": row.place.count,
                "apply": {"url": f"{base}{row.go}", "host": row.place.target_host},
                "updated_at": _iso_time(row.profile.updated_at),
            }
            for row in rows(snap)
        ],
        "links": {
            "page": f"{base}/c/{cid}/ausbildung",
            "feed": f"{base}/api/competitions/{cid}/places",
        },
    }


# The vote page's cards --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Card:
    """ "Ausbildung bei <Firma>": one team's company, its open places (the duel's trade
    first) and the trade page."""

    company: str
    about: str
    location: str
    logo: str
    rows: tuple[Row, ...]
    trade: Trade | None  # the team's trade (its page), None when it has no name


def duel_cards(snap: Snapshot, duel_id: str, teams: list[str], duel_trade: str) -> list[Card]:
    """The cards of the duel's teams (by team id, in the page's order)."""
    trades = snap.trades()
    every = rows(snap, duel_id)
    cards = []
    for team_id in teams:
        team = snap.teams.get(team_id)
        if team is None or team.company_id not in snap.companies:
            continue
        profile = snap.profiles[team.company_id]
        own_trade = team.trade or duel_trade
        first = {slug(own_trade), slug(duel_trade)} - {""}
        mine = [row for row in every if row.profile.company_id == team.company_id]
        mine.sort(key=lambda row: row.trade.slug not in first)  # stable: then as listed
        key = slug(own_trade)
        cards.append(
            Card(
                company=snap.company_name(team.company_id),
                about="" if profile.hidden else profile.about,
                location="" if profile.hidden else profile.location,
                logo="" if profile.hidden else logo_path(snap.cid, profile),
                rows=tuple(mine),
                trade=(trades.get(key) or Trade(key, own_trade)) if key else None,
            )
        )
    return cards


# The trade pages --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TradeDuel:
    duel: Duel
    home_company: str
    away_company: str

    def clip(self, side: str) -> dict[str, str]:
        """The side's approved video as the vote page shows it: a rendition with its
        poster, or a link-out; empty while none is approved."""
        extra = self.duel.extra

        def media(value: str) -> str:
            return value if not value or value.startswith("/") else f"/media/{value}"

        return {
            "video": media(extra.get(f"{side}_video", "")),
            "poster": media(extra.get(f"{side}_poster", "")),
            "type": extra.get(f"{side}_video_type", ""),
            "link": extra.get(f"{side}_video_link", ""),
        }


def duels_of_trade(snap: Snapshot, duels: list[Duel], trade_slug: str) -> list[TradeDuel]:
    """The duels (not byes) whose challenge or one of whose teams has the trade."""
    found = []
    for duel in duels:
        if not duel.away:
            continue
        team_trades = {slug(snap.teams[team].trade) for team in duel.teams if team in snap.teams}
        if trade_slug != slug(duel.trade) and trade_slug not in team_trades:
            continue
        found.append(
            TradeDuel(
                duel, snap.company_name(duel.home_company), snap.company_name(duel.away_company)
            )
        )
    found.sort(key=lambda item: (item.duel.round, item.duel.match, item.duel.leg))
    return found
