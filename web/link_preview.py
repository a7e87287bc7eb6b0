"""Link previews and share links of the vote page and the live board (template context)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from voting import qr, share
from voting.page import DuelView
from web import places
from web.i18n import pick_language, translator


def _t_and_lang(request: Request) -> tuple[Any, str]:
    lang = pick_language(request, request.app.state.settings.default_language)
    return translator(lang), lang


def duel_context(request: Request, duel: DuelView) -> dict[str, Any]:
    """``preview`` (Open Graph), ``share_url`` and ``share_title`` of a duel's vote page."""
    t, lang = _t_and_lang(request)
    public_url: str = request.app.state.settings.public_url
    names = [side.name for side in duel.sides] + ["", ""]
    title = t("share.title", home=names[0], away=names[1]) if names[1] else t.duel_title(duel.title)
    trade = duel.trade or " / ".join(dict.fromkeys(s.trade for s in duel.sides if s.trade))
    parts = [part for part in (t.duel_title(duel.title), trade) if part]
    description = " · ".join(parts)
    if duel.is_open():
        description = (
            f"{description} – {t('share.vote_now')}" if description else t("share.vote_now")
        )
    # Approved videos only reach the duel record (duels/videos.py); MP4 is what previews play.
    videos = tuple(
        s.video for s in duel.sides if s.video.startswith("/media/") and s.video.endswith(".mp4")
    )
    preview = share.link_preview(
        public_url=public_url,
        title=title or t("site.name"),
        description=description,
        path=f"/vote/{duel.id}",
        image_path=share.card_path(duel.id, "post"),
        lang=lang,
        videos=videos,
    )
    return {
        "preview": _with_places(preview, t, public_url, duel.competition),
        "share_url": qr.vote_url(public_url, duel.id),
        "share_title": title,
        "places_link": places_link(public_url, duel.competition),
    }


def live_context(request: Request, board: dict[str, Any]) -> dict[str, Any]:
    """The live board's preview: the card of the first running duel, if one runs."""
    t, lang = _t_and_lang(request)
    public_url: str = request.app.state.settings.public_url
    cid = board["competition"]["id"]
    running = board.get("running") or []
    title = t("share.live_title", competition=board["competition"]["title"])
    preview = share.link_preview(
        public_url=public_url,
        title=title,
        description=t("share.live_description"),
        path=f"/live/{cid}",
        image_path=share.card_path(running[0]["id"], "post") if running else "",
        lang=lang,
    )
    url = f"{public_url.rstrip('/')}/live/{cid}"
    return {
        "preview": _with_places(preview, t, public_url, cid),
        "share_url": url,
        "share_title": title,
        "places_link": places_link(public_url, cid),
    }


def places_link(public_url: str, cid: str) -> dict[str, str]:
    """The short link to the competition's "Ausbildungsplätze" page (#19): ``url`` (path)
    and ``label`` (host and path, as people read it off a screen)."""
    return {"url": f"/c/{cid}/ausbildung", "label": places.short_link(public_url, cid)}


def _with_places(preview: dict[str, Any], t: Any, public_url: str, cid: str) -> dict[str, Any]:
    """The preview's description ends with the short link to the places page."""
    if not cid:
        return preview
    label = t("places.short_link", link=places.short_link(public_url, cid))
    description = preview.get("description") or ""
    return {**preview, "description": f"{description} · {label}" if description else label}
