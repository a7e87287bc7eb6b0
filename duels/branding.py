"""Branding of a competition (and its organisation's defaults): region, logo, two brand
colours, sponsor logos, Impressum and Datenschutz links.

A scope is ``"c:<competition id>"`` or ``"o:<organisation id>"``; a competition falls back
field by field to its organisation (``effective``). Colours must be readable: both carry
white text in our pages (buttons, badges, the second vote button), and the accent also
colours links on the light page, so each needs a WCAG 2.x contrast of at least 4.5:1
against white (``contrast_too_low`` otherwise).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from urllib.parse import urlsplit

import orjson
import redis

from duels import brand_images, errors, keys, organisations, store

MIN_CONTRAST = 4.5
TEXT_ON_BRAND = "#ffffff"
MAX_SPONSORS = 8
FIELDS = ("region", "primary", "accent", "imprint", "privacy")
_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")


@dataclass(frozen=True, slots=True)
class Sponsor:
    name: str
    image: str  # stored file name (duels.brand_images)
    link: str = ""


@dataclass(frozen=True, slots=True)
class Brand:
    region: str = ""
    primary: str = ""
    accent: str = ""
    logo: str = ""
    imprint: str = ""
    privacy: str = ""
    sponsors: tuple[Sponsor, ...] = ()
    version: int = 0


class ContrastTooLow(errors.Invalid):
    code = "contrast_too_low"

    def __init__(self, field: str, colour: str, ratio: float, against: str) -> None:
        super().__init__(
            f"{field} {colour} has a contrast of {ratio:.2f}:1 with {against} text; "
            f"at least {MIN_CONTRAST}:1 is needed."
        )
        self.field, self.colour, self.ratio = field, colour, ratio


# Colours ---------------------------------------------------------------------------


def parse_colour(value: str) -> str:
    match = _HEX.match((value or "").strip())
    if not match:
        raise errors.Invalid("A colour is written #rrggbb.", code="invalid_colour")
    return f"#{match.group(1).lower()}"


def relative_luminance(colour: str) -> float:
    """WCAG 2.x relative luminance of ``#rrggbb``."""
    hex_digits = parse_colour(colour)[1:]
    channels = [int(hex_digits[n : n + 2], 16) / 255 for n in (0, 2, 4)]
    red, green, blue = (
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels
    )
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def check_colour(value: str, field: str = "colour", against: str = TEXT_ON_BRAND) -> str:
    """``value`` normalised, or "" for none; ``ContrastTooLow`` if unreadable."""
    if not (value or "").strip():
        return ""
    colour = parse_colour(value)
    ratio = contrast_ratio(colour, against)
    if ratio < MIN_CONTRAST:
        raise ContrastTooLow(field, colour, ratio, against)
    return colour


# Links -----------------------------------------------------------------------------


def check_link(value: str, *, paths: bool = True) -> str:
    """An https URL (or, with ``paths``, an absolute path on this site), or ""."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) > 500 or any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise errors.Invalid("The link is not valid.", code="invalid_link")
    if paths and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or parts.username or parts.password:
        raise errors.Invalid("Links must start with https://.", code="invalid_link")
    return value


# Reading ---------------------------------------------------------------------------


def _key(scope: str) -> str:
    kind, _, ident = scope.partition(":")
    if kind == "c" and ident:
        return keys.brand(ident)
    if kind == "o" and ident:
        return keys.organisation_brand(ident)
    raise errors.Invalid(f"Unknown scope {scope!r}.", code="invalid_scope")


def from_fields(raw: dict[str, str]) -> Brand:
    sponsors = tuple(Sponsor(**item) for item in orjson.loads(raw.get("sponsors") or "[]"))
    return Brand(
        **{name: raw.get(name, "") for name in (*FIELDS, "logo")},
        sponsors=sponsors,
        version=int(raw.get("version") or 0),
    )


def get(client: redis.Redis, scope: str) -> Brand:
    raw: dict[str, str] = client.hgetall(_key(scope))  # type: ignore[assignment]
    return from_fields(raw)


def merged(own: Brand, fallback: Brand) -> Brand:
    """``own`` with every empty field taken from ``fallback`` (the organisation's)."""
    filled = {name: getattr(own, name) or getattr(fallback, name) for name in (*FIELDS, "logo")}
    return replace(
        own,
        **filled,
        sponsors=own.sponsors or fallback.sponsors,
        version=own.version * 1000 + fallback.version,
    )


def effective(client: redis.Redis, cid: str) -> Brand:
    """What the public pages of ``cid`` show (its own fields, else its organisation's)."""
    oid = organisations.organisation_of(client, cid)
    return merged(get(client, f"c:{cid}"), get(client, f"o:{oid}"))


# Writing ---------------------------------------------------------------------------


def _changed(client: redis.Redis, scope: str, actor: str, action: str, **fields: str) -> None:
    pipe = client.pipeline(transaction=False)
    if fields:
        pipe.hset(_key(scope), mapping=fields)  # type: ignore[arg-type]
    pipe.hincrby(_key(scope), "version", 1)
    pipe.execute()
    if scope.startswith("c:"):
        store.audit(client, scope[2:], actor, action, **{k: v for k, v in fields.items()})


def _require_scope(client: redis.Redis, scope: str) -> None:
    _key(scope)
    if scope.startswith("c:"):
        store.get_competition(client, scope[2:])
    else:
        organisations.get_organisation(client, scope[2:])


def update(
    client: redis.Redis,
    scope: str,
    *,
    region: str = "",
    primary: str = "",
    accent: str = "",
    imprint: str = "",
    privacy: str = "",
    actor: str = "",
) -> Brand:
    """Set the text fields of ``scope``'s branding (an empty field: fall back / none)."""
    _require_scope(client, scope)
    fields = {
        "region": " ".join((region or "").split())[:80],
        "primary": check_colour(primary, "primary"),
        "accent": check_colour(accent, "accent"),
        "imprint": check_link(imprint),
        "privacy": check_link(privacy),
    }
    _changed(client, scope, actor, "branding_updated", **fields)
    return get(client, scope)


def set_logo(client: redis.Redis, scope: str, folder: Path, data: bytes, actor: str = "") -> Brand:
    _require_scope(client, scope)
    name = brand_images.save(folder, data)
    old = get(client, scope).logo
    _changed(client, scope, actor, "logo_uploaded", logo=name)
    if old:
        brand_images.remove(folder, old)
    return get(client, scope)


def remove_logo(client: redis.Redis, scope: str, folder: Path, actor: str = "") -> Brand:
    old = get(client, scope).logo
    _changed(client, scope, actor, "logo_removed", logo="")
    if old:
        brand_images.remove(folder, old)
    return get(client, scope)


def add_sponsor(
    client: redis.Redis,
    scope: str,
    folder: Path,
    data: bytes,
    name: str,
    link: str = "",
    actor: str = "",
) -> Brand:
    _require_scope(client, scope)
    name = " ".join((name or "").split())[:80]
    if not name:
        raise errors.Invalid("The sponsor needs a name.", code="sponsor_name_required")
    link = check_link(link, paths=False)
    if len(get(client, scope).sponsors) >= MAX_SPONSORS:
        raise errors.Conflict(f"At most {MAX_SPONSORS} sponsors.", code="too_many_sponsors")
    image = brand_images.save(folder, data)
    sponsors = [*get(client, scope).sponsors, Sponsor(name, image, link)][:MAX_SPONSORS]
    _changed(client, scope, actor, "sponsor_added", sponsors=_dump(sponsors))
    return get(client, scope)


def remove_sponsor(
    client: redis.Redis, scope: str, folder: Path, index: int, actor: str = ""
) -> Brand:
    sponsors = list(get(client, scope).sponsors)
    if not 0 <= index < len(sponsors):
        raise errors.NotFound("No such sponsor.", code="unknown_sponsor")
    gone = sponsors.pop(index)
    _changed(client, scope, actor, "sponsor_removed", sponsors=_dump(sponsors))
    brand_images.remove(folder, gone.image)
    return get(client, scope)


def _dump(sponsors: list[Sponsor]) -> str:
    return orjson.dumps([asdict(sponsor) for sponsor in sponsors]).decode()
