"""User-facing text in German (default) and English.

The language comes from ``?lang=`` (remembered in a cookie), then the cookie,
then the default from settings. Catalogues are JSON files in ``web/locales``.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from starlette.requests import Request

LANGUAGES = ("de", "en")
LANG_COOKIE = "mm_lang"
_LOCALES = Path(__file__).parent / "locales"
# The challenge titles duels/tournament.default_title stores until a host sets one.
_BYE_TITLE = re.compile(r"^(?P<trade>.*): Freilos$")
_VERSUS_TITLE = re.compile(r"^(?P<home>.+?) gegen (?P<away>.+)$")


@lru_cache(maxsize=len(LANGUAGES))
def catalogue(lang: str) -> dict[str, str]:
    """``locales/<lang>.json`` plus one file per area in ``locales/<lang>/`` (accounts,
    jury, branding, ...); a key may be defined once only."""
    loaded: dict[str, str] = json.loads((_LOCALES / f"{lang}.json").read_text("utf-8"))
    for part in sorted((_LOCALES / lang).glob("*.json")):
        extra: dict[str, str] = json.loads(part.read_text("utf-8"))
        twice = loaded.keys() & extra.keys()
        if twice:
            raise ValueError(f"{part.name} defines {sorted(twice)[:3]} again")
        loaded.update(extra)
    return loaded


def pick_language(request: Request, default: str) -> str:
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return asked if asked in LANGUAGES else default


def translator(lang: str) -> Translator:
    return Translator(lang)


class Translator:
    """``t("vote.counted", team="A")``: the text in ``lang``, German as fallback."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._text = catalogue(lang)
        self._fallback = catalogue("de")

    def __call__(self, key: str, **values: object) -> str:
        text = self._text.get(key) or self._fallback.get(key) or key
        return text.format(**values) if values else text

    def plural(self, key: str, count: int, **values: object) -> str:
        """``key.one`` for exactly one, else ``key.other`` (German and English agree)."""
        return self(f"{key}.one" if count == 1 else f"{key}.other", count=count, **values)

    def duel_title(self, title: str) -> str:
        """A duel's stored title in this language when it is the generated default."""
        if not title:
            return title
        bye = _BYE_TITLE.match(title)
        if bye:
            return self("i18n.title.bye", trade=bye["trade"])
        versus = _VERSUS_TITLE.match(title)
        if versus:
            return self("i18n.title.versus", home=versus["home"], away=versus["away"])
        return title

    def or_else(self, key: str, fallback: str) -> str:
        """The text for ``key`` if there is one, else ``fallback`` (e.g. for error codes)."""
        return self(key) if key in self._text or key in self._fallback else fallback
