"""Queue names, most urgent first: a worker serves them in this order."""

from __future__ import annotations

TALLY = "tally"
MEDIA = "media"
DEFAULT = "default"

ALL = (TALLY, DEFAULT, MEDIA)
