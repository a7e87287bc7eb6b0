"""Bars per day of the reach figures, as geometry for an inline SVG (no script, no
library): ``templates/reach/_chart.html`` draws it; the table next to it has the numbers."""

from __future__ import annotations

from dataclasses import dataclass

from voting.reach_figures import Numbers

SERIES = ("views", "plays", "ends", "clicks")
# Fills with at least 3:1 contrast against white (WCAG non-text contrast).
COLOURS = {"views": "#1d4ed8", "plays": "#0f766e", "ends": "#7c3aed", "clicks": "#b45309"}
HEIGHT = 160
TOP, BOTTOM, LEFT = 16, 28, 36
BAR, GAP, GROUP_GAP = 10, 2, 16


@dataclass(frozen=True, slots=True)
class Bar:
    series: str
    day: str
    value: int
    x: int
    y: float
    width: int
    height: float
    fill: str


@dataclass(frozen=True, slots=True)
class Label:
    x: float
    text: str


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    baseline: int
    top: int
    left: int
    maximum: int
    bars: tuple[Bar, ...]
    labels: tuple[Label, ...]


def day_chart(days: tuple[tuple[str, Numbers], ...]) -> Chart:
    """Grouped bars (views, plays, ends, clicks) per day, scaled to the largest value."""
    maximum = max((getattr(n, s) for _, n in days for s in SERIES), default=0)
    scale = (HEIGHT - TOP - BOTTOM) / maximum if maximum else 0.0
    baseline = HEIGHT - BOTTOM
    group = len(SERIES) * (BAR + GAP)
    bars, labels = [], []
    for index, (day, numbers) in enumerate(days):
        start = LEFT + GROUP_GAP // 2 + index * (group + GROUP_GAP)
        for offset, series in enumerate(SERIES):
            value = int(getattr(numbers, series))
            height = round(value * scale, 1)
            bars.append(
                Bar(
                    series, day, value, start + offset * (BAR + GAP), round(baseline - height, 1),
                    BAR, height, COLOURS[series],
                )
            )  # fmt: skip
        labels.append(Label(start + group / 2, day[5:]))  # "MM-DD"
    width = LEFT + max(1, len(days)) * (group + GROUP_GAP) + 8
    return Chart(
        width, HEIGHT, baseline, TOP, LEFT, maximum, tuple(bars), tuple(labels)
    )  # fmt: skip
