"""What public pages show of a competition's branding: the template context (``brand``),
the brand stylesheet (CSS custom properties over web/static/style.css; the CSP allows no
inline styles) and the footer's legal links of pages without a competition."""

from __future__ import annotations

import hashlib
import time
from typing import Any

import redis
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from duels import branding, errors, keys, organisations

LEGAL_CACHE_SECONDS = 30.0
BRAND_CACHE_SECONDS = 3.0
BRAND_CACHE_SIZE = 1024

# Layout of the brand elements; the colours follow from the competition's branding.
_LAYOUT = """.brand-bar { display: flex; align-items: center; gap: .75rem;
  margin: .25rem 0 .75rem; }
.brand-logo { display: block; max-height: 3.5rem; max-width: 10rem; width: auto; height: auto; }
.brand-region { margin: 0; color: var(--muted); font-weight: 600; }
.projector .brand-logo { max-height: 6rem; max-width: 18rem; }
.projector .brand-region { font-size: 1.4rem; }
.sponsor-strip { display: flex; flex-wrap: wrap; align-items: center; justify-content: center;
  gap: 1.5rem; list-style: none; margin: 1rem 0 0; padding: .75rem; border-radius: 14px;
  background: #fff; }
.sponsor-strip img { display: block; max-height: 3rem; max-width: 9rem; width: auto; height: auto; }
.projector .sponsor-strip img { max-height: 4.5rem; max-width: 14rem; }
.legal-links a { margin: 0 .4rem; }
"""


def stylesheet(brand: branding.Brand) -> str:
    """The brand CSS: layout rules, then the colour overrides that are set."""
    rules = [_LAYOUT]
    colours = []
    if brand.primary:
        colours.append(f"--accent: {brand.primary};")
    if brand.accent:
        colours.append(f"--accent-2: {brand.accent};")
    if colours:
        body = " ".join(colours)
        # The projector's dark theme sets its own --accent-2; the brand wins there too.
        rules.append(f":root {{ {body} }}\n.projector.theme-dark {{ {body} }}\n")
    return "".join(rules)


def css_etag(brand: branding.Brand) -> str:
    return f'"{hashlib.sha256(stylesheet(brand).encode()).hexdigest()[:24]}"'


def context(client: redis.Redis, cid: str) -> dict[str, Any] | None:
    """The ``brand`` a public page of ``cid`` renders with (None for an unknown one)."""
    try:
        brand = branding.effective(client, cid)
    except errors.DomainError:
        return None
    version = f"?v={brand.version}"
    return {
        "cid": cid,
        "name": str(client.hget(keys.competition(cid), "title") or ""),
        "css": f"/brand/{cid}.css{version}",
        "logo": f"/brand/{cid}/logo.png{version}" if brand.logo else "",
        "region": brand.region,
        "sponsors": [
            {"name": s.name, "link": s.link, "image": f"/brand/{cid}/sponsor/{n}.png{version}"}
            for n, s in enumerate(brand.sponsors)
        ],
        "legal": {"imprint": brand.imprint, "privacy": brand.privacy},
    }


async def context_async(request: Request, cid: str) -> dict[str, Any] | None:
    """``context`` kept for BRAND_CACHE_SECONDS per process: every public page shows it,
    and a brand edit may take that long to reach them (its assets' URLs are versioned)."""
    state = request.app.state
    kept: dict[str, tuple[float, dict[str, Any] | None]] | None = getattr(state, "brands", None)
    if kept is None or len(kept) > BRAND_CACHE_SIZE:
        kept = state.brands = {}
    now = time.monotonic()
    hit = kept.get(cid)
    if hit is not None and hit[0] > now:
        return hit[1]
    brand = await run_in_threadpool(context, state.store, cid)
    kept[cid] = (now + BRAND_CACHE_SECONDS, brand)
    return brand


def default_legal(request: Request) -> dict[str, str]:
    """Footer links of pages without a competition: the default organisation's, else the
    settings' (kept for a few seconds per process; the footer is on every page)."""
    state = request.app.state
    cached = getattr(state, "legal_links", None)
    if cached is not None and cached[0] > time.monotonic():
        return dict(cached[1])
    settings = state.settings
    links = {"imprint": settings.imprint_url, "privacy": settings.privacy_url}
    try:
        brand = branding.get(state.store, f"o:{organisations.DEFAULT}")
        links = {
            "imprint": brand.imprint or links["imprint"],
            "privacy": brand.privacy or links["privacy"],
        }
    except (errors.DomainError, redis.RedisError, AttributeError):
        pass
    state.legal_links = (time.monotonic() + LEGAL_CACHE_SECONDS, links)
    return links


def legal_links(request: Request, brand: dict[str, Any] | None) -> dict[str, str]:
    """The page's legal links: the competition's (with its organisation's as fallback),
    then the default organisation's, then the settings'."""
    fallback = default_legal(request)
    own = (brand or {}).get("legal") or {}
    return {name: own.get(name) or fallback[name] for name in ("imprint", "privacy")}


def forget_default_legal(request: Request) -> None:
    request.app.state.legal_links = None


def forget_brands(request: Request) -> None:
    """After a brand change: this process reads brands afresh (others within
    BRAND_CACHE_SECONDS)."""
    request.app.state.brands = {}
