"""Host console: a duel's evidence page, with its timeline drawn as SVG on the server."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from voting import evidence
from voting.timeline import Bucket
from web.deps import Moderator
from web.routes.host_console import EVENT_TIMEZONE, _page

router = APIRouter(prefix="/host", include_in_schema=False)

CHART_HEIGHT = 160
BAR = 10  # viewBox units per bucket; the SVG stretches to the page width
MIN_BARS = 24
KIND_COLOURS = {"venue": "#2e86ab", "codes": "#1f7a3f", "verified": "#6a4c93", "open": "#5b5753"}
HELD_COLOUR = "#d97706"  # warning: not counted
INCLUDED_COLOUR = "#8fb8a0"  # a group the host included


@dataclass(frozen=True, slots=True)
class Segment:
    y: float
    height: float
    fill: str


@dataclass(frozen=True, slots=True)
class Bar:
    x: int
    time: str
    total: int
    held: int
    segments: tuple[Segment, ...]


@router.get("/duels/{did}/evidence")
def evidence_page(request: Request, did: str, by: Moderator) -> HTMLResponse:
    found = evidence.duel_evidence(request.app.state.store, request.app.state.settings, did)
    duel = found.duel
    names = dict(zip(duel.teams, (duel.home_name, duel.away_name), strict=False))
    return _page(
        request,
        "host/evidence.html",
        {
            "duel": duel,
            "ev": found,
            "names": names,
            "chart": _chart(found),
            "kinds": [
                (kind, colour)
                for kind, colour in KIND_COLOURS.items()
                if any(kind in bucket.by_kind for bucket in found.timeline)
            ],
            "held_colour": HELD_COLOUR,
            "included_colour": INCLUDED_COLOUR,
        },
    )


def _chart(found: evidence.Evidence) -> dict[str, Any] | None:
    buckets = found.timeline
    if not buckets:
        return None
    width, start = found.bucket_seconds, buckets[0].t
    span = (buckets[-1].t - start) // width + 1
    peak = max(bucket.total for bucket in buckets)
    states = {group.group: group.state for group in found.groups}
    bars = [_bar(bucket, (bucket.t - start) // width * BAR, peak, states) for bucket in buckets]
    return {
        "width": max(span, MIN_BARS) * BAR,
        "height": CHART_HEIGHT,
        "bar": BAR - 1,
        "bars": bars,
        "peak": peak,
        "seconds": width,
        "start": _time(start),
        "end": _time(buckets[-1].t + width),
    }


def _bar(bucket: Bucket, x: int, peak: int, states: dict[str, str]) -> Bar:
    parts: list[tuple[int, str]] = [
        (bucket.by_kind[kind], KIND_COLOURS.get(kind, KIND_COLOURS["open"]))
        for kind in sorted(bucket.by_kind)
    ]
    held = 0
    for group in sorted(bucket.by_group):
        counted = states.get(group) == "included"
        held += 0 if counted else bucket.by_group[group]
        parts.append((bucket.by_group[group], INCLUDED_COLOUR if counted else HELD_COLOUR))
    segments, top = [], float(CHART_HEIGHT)
    for votes, fill in parts:
        height = votes / peak * CHART_HEIGHT
        top -= height
        segments.append(Segment(round(top, 2), round(height, 2), fill))
    return Bar(x, _time(bucket.t), bucket.total, held, tuple(segments))


def _time(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, EVENT_TIMEZONE).strftime("%d.%m. %H:%M:%S")
