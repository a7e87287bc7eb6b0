"""One running duel's two videos on the projector, big and side by side.

``/live/{cid}?mode=projector&duel={did}``: portrait clips fill the screen's height,
landscape ones its half width; the frame size comes from the vote page's reader
(``voting.page``), so both pages lay a clip out the same way.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import HTMLResponse

from duels import errors
from voting.page import load_duel
from web import branding
from web.templating import render

_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


async def duel_videos_page(request: Request, cid: str, did: str, projector: bool) -> HTMLResponse:
    view = await load_duel(request.app.state.redis, did) if _ID.match(did) else None
    if view is None or view.competition != cid:
        raise errors.NotFound(f"Unknown duel {did!r}.", code="unknown_duel")
    return render(
        request,
        "live/duel_videos.html",
        {
            "duel": view,
            "projector": projector,
            "show_qr": view.status == "voting" and view.admission != "venue",
            "vote_url": f"{request.app.state.settings.public_url.rstrip('/')}/vote/{did}",
            "brand": await branding.context_async(request, cid),
        },
    )
