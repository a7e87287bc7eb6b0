"""Jinja2 with autoescape on, and the page context every template gets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from web.branding import legal_links
from web.deps import roles_held
from web.i18n import LANG_COOKIE, pick_language, translator
from web.stage_reasons import qualification_reason
from web.video_reasons import video_reason

_HERE = Path(__file__).parent

environment = Environment(
    loader=FileSystemLoader(_HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.globals["legal_links"] = legal_links  # the footer of every page
environment.globals["video_reason"] = video_reason
environment.globals["qualification_reason"] = qualification_reason  # t, entry
environment.globals["roles_held"] = roles_held  # the console's navigation
templates = Jinja2Templates(env=environment)


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    settings = request.app.state.settings
    lang = pick_language(request, settings.default_language)
    full = {"t": translator(lang), "lang": lang, "settings": settings, **(context or {})}
    response = templates.TemplateResponse(request, name, full, status_code=status_code)
    if request.query_params.get("lang") == lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return response
