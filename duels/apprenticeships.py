"""Companies' profiles and open apprenticeship places: where a duel leads a viewer.

A company writes a short profile (a sentence, its location, its website, a logo) and lists
its open places (trade, start, where to apply: an https page or an e-mail address) in its
portal; hosts may edit and hide them. Links are https only, stored normalised (lower-case
host, no credentials, no fragment) and shown with the target's host name.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson
import redis

from duels import brand_images, errors, keys, store
from duels.records import new_id

MAX_ABOUT = 280
MAX_LOCATION = 80
MAX_TRADE = 80
MAX_LINK = 300
MAX_EMAIL = 254
MAX_PLACES = 20
_MONTH = re.compile(r"^(20\d\d)-(0[1-9]|1[0-2])$")
_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


@dataclass(frozen=True, slots=True)
class Place:
    """An open apprenticeship place; `starts` is "YYYY-MM" or ""."""

    id: str
    company_id: str
    trade: str
    starts: str = ""
    apply_url: str = ""
    apply_email: str = ""
    count: int = 1

    @property
    def target_host(self) -> str:
        """Where the apply link leads, as shown next to it."""
        if self.apply_url:
            return urlsplit(self.apply_url).hostname or ""
        return self.apply_email.rsplit("@", 1)[-1]


@dataclass(frozen=True, slots=True)
class Profile:
    company_id: str
    about: str = ""
    location: str = ""
    website: str = ""
    logo: str = ""  # file name in the media folder (brand_images)
    hidden: bool = False  # a host hid the profile and its places
    hidden_reason: str = ""
    places: tuple[Place, ...] = field(default_factory=tuple)
    updated_at: float = 0.0

    def to_json(self) -> bytes:
        return orjson.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str | bytes) -> Profile:
        data: dict[str, Any] = orjson.loads(raw)
        places = tuple(Place(**place) for place in data.pop("places", ()))
        return cls(**data, places=places)


# Checking what a company types ------------------------------------------------------


def clean_text(value: str, limit: int, what: str) -> str:
    """One line of plain text: whitespace collapsed, no control characters."""
    text = " ".join((value or "").split())
    if any(ord(ch) < 32 or 0x7F <= ord(ch) < 0xA0 for ch in text):
        raise errors.Invalid(f"The {what} contains control characters.", code="invalid_text")
    if len(text) > limit:
        raise errors.Invalid(f"The {what} has more than {limit} characters.", code="too_long")
    return text


def normalise_link(value: str) -> str:
    """An https URL, normalised; "" for none. Anything else is `invalid_link`."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) > MAX_LINK or any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise errors.Invalid("The link is not valid.", code="invalid_link")
    if "://" not in value and re.match(r"^[\w.-]+\.[a-z]{2,}(/|$)", value, re.IGNORECASE):
        value = f"https://{value}"  # "www.firma.de" as typed on a form
    parts = urlsplit(value)
    host = parts.hostname or ""
    if (
        parts.scheme.lower() != "https"
        or not host
        or "." not in host
        or parts.username
        or parts.password
        or "\\" in value
    ):
        raise errors.Invalid("Links must start with https:// and name a site.", code="invalid_link")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise errors.Invalid("The link's site name is not valid.", code="invalid_link") from exc
    port = f":{parts.port}" if parts.port and parts.port != 443 else ""
    return urlunsplit(("https", f"{host}{port}", parts.path or "/", parts.query, ""))


def normalise_email(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    if value.lower().startswith("mailto:"):
        value = value[7:]
    if len(value) > MAX_EMAIL or not _EMAIL.match(value):
        raise errors.Invalid("The e-mail address is not valid.", code="invalid_email")
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def check_start(value: str) -> str:
    value = (value or "").strip()
    if value and not _MONTH.match(value):
        raise errors.Invalid("The start is written YYYY-MM, e.g. 2027-08.", code="invalid_start")
    return value


# Reading and writing ----------------------------------------------------------------


def get_profile(client: redis.Redis, cid: str, company_id: str) -> Profile:
    store.get_company(client, cid, company_id)
    raw = client.hget(keys.profiles(cid), company_id)
    return Profile.from_json(raw) if raw else Profile(company_id)


def all_profiles(client: redis.Redis, cid: str) -> dict[str, Profile]:
    """Every company's profile by company id (an empty one where none was written)."""
    raw: dict[str, str] = client.hgetall(keys.profiles(cid))  # type: ignore[assignment]
    stored = {company: Profile.from_json(value) for company, value in raw.items()}
    return {c.id: stored.get(c.id, Profile(c.id)) for c in store.list_companies(client, cid)}


def update_profile(
    client: redis.Redis,
    cid: str,
    company_id: str,
    *,
    about: str,
    location: str,
    website: str,
    actor: str,
) -> Profile:
    profile = replace(
        get_profile(client, cid, company_id),
        about=clean_text(about, MAX_ABOUT, "text"),
        location=clean_text(location, MAX_LOCATION, "location"),
        website=normalise_link(website),
    )
    return _save(client, cid, profile, actor, "profile_updated")


def add_place(
    client: redis.Redis,
    cid: str,
    company_id: str,
    *,
    trade: str,
    starts: str = "",
    apply_url: str = "",
    apply_email: str = "",
    count: int = 1,
    actor: str,
) -> Place:
    profile = get_profile(client, cid, company_id)
    if len(profile.places) >= MAX_PLACES:
        raise errors.Invalid(f"At most {MAX_PLACES} places per company.", code="too_many_places")
    place = _checked_place(
        Place(new_id("p", 8), company_id, trade, starts, apply_url, apply_email, count)
    )
    _save(client, cid, replace(profile, places=(*profile.places, place)), actor, "place_added")
    return place


def update_place(
    client: redis.Redis, cid: str, company_id: str, place_id: str, actor: str, **fields: Any
) -> Place:
    profile = get_profile(client, cid, company_id)
    old = _place_of(profile, place_id)
    allowed = {"trade", "starts", "apply_url", "apply_email", "count"}
    place = _checked_place(replace(old, **{k: v for k, v in fields.items() if k in allowed}))
    places = tuple(place if p.id == place_id else p for p in profile.places)
    _save(client, cid, replace(profile, places=places), actor, "place_updated")
    return place


def remove_place(client: redis.Redis, cid: str, company_id: str, place_id: str, actor: str) -> None:
    profile = get_profile(client, cid, company_id)
    _place_of(profile, place_id)
    places = tuple(p for p in profile.places if p.id != place_id)
    _save(client, cid, replace(profile, places=places), actor, "place_removed")


def set_hidden(
    client: redis.Redis, cid: str, company_id: str, hidden: bool, reason: str, actor: str
) -> Profile:
    """A host hides (or shows again) a company's profile and places; hiding needs a reason."""
    reason = clean_text(reason, 200, "reason")
    if hidden and not reason:
        raise errors.Invalid("A reason is required.", code="reason_required")
    profile = replace(
        get_profile(client, cid, company_id), hidden=hidden, hidden_reason=reason if hidden else ""
    )
    return _save(client, cid, profile, actor, "profile_hidden" if hidden else "profile_shown")


def set_logo(
    client: redis.Redis, cid: str, company_id: str, folder: Path, data: bytes, actor: str
) -> Profile:
    profile = get_profile(client, cid, company_id)
    name = brand_images.save(folder, data)
    saved = _save(client, cid, replace(profile, logo=name), actor, "profile_logo")
    if profile.logo:
        brand_images.remove(folder, profile.logo)
    return saved


def open_places(client: redis.Redis, cid: str) -> list[tuple[Place, Profile]]:
    """Every place of a company not hidden by a host, by trade, then start."""
    found = [
        (place, profile)
        for profile in all_profiles(client, cid).values()
        if not profile.hidden
        for place in profile.places
    ]
    return sorted(found, key=lambda item: (item[0].trade.lower(), item[0].starts or "9999"))


def find_place(client: redis.Redis, cid: str, place_id: str) -> tuple[Place, Profile]:
    for place, profile in open_places(client, cid):
        if place.id == place_id:
            return place, profile
    raise errors.NotFound("No such apprenticeship place.", code="unknown_place")


def _checked_place(place: Place) -> Place:
    trade = clean_text(place.trade, MAX_TRADE, "trade")
    if not trade:
        raise errors.Invalid("Name the trade of the place.", code="trade_required")
    url, email = normalise_link(place.apply_url), normalise_email(place.apply_email)
    if not url and not email:
        raise errors.Invalid(
            "Give an https link to apply or an e-mail address.", code="apply_target_required"
        )
    count = place.count
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 99:
        raise errors.Invalid("The number of places is 1 to 99.", code="invalid_count")
    return replace(place, trade=trade, starts=check_start(place.starts), apply_url=url,
                   apply_email=email)  # fmt: skip


def _place_of(profile: Profile, place_id: str) -> Place:
    for place in profile.places:
        if place.id == place_id:
            return place
    raise errors.NotFound("No such apprenticeship place.", code="unknown_place")


def _save(client: redis.Redis, cid: str, profile: Profile, actor: str, action: str) -> Profile:
    profile = replace(profile, updated_at=time.time())
    pipe = client.pipeline(transaction=True)
    pipe.hset(keys.profiles(cid), profile.company_id, profile.to_json())
    store.audit(pipe, cid, actor, action, company=profile.company_id)
    pipe.execute()
    return profile
