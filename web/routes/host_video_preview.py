"""Host console: watch one team's uploaded video in the page instead of downloading it.

``/host/duels/{did}/videos/{team}/preview`` plays the served file in a ``<video>``
laid out by its own frame size (portrait clips stay portrait), with the probe facts
the host checks before approving.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

from duels import errors, store, videos
from voting.page import orientation
from web.deps import Reader
from web.routes.host_console import _page

router = APIRouter(prefix="/host", include_in_schema=False)


@router.get("/duels/{did}/videos/{team}/preview")
def video_preview(request: Request, did: str, team: str, by: Reader) -> HTMLResponse:
    client = request.app.state.store
    duel = store.get_duel(client, did)
    video = videos.get_video(client, did, team) if team in (duel.home, duel.away) else None
    if video is None or video.kind != "upload" or not video.media_url:
        raise errors.NotFound("The team has not uploaded a video.", code="no_video")
    name = duel.home_name if team == duel.home else duel.away_name
    return _page(
        request,
        "host/video_preview.html",
        {
            "duel": duel,
            "video": video,
            "team_name": name or team,
            "orientation": orientation(video.width, video.height),
        },
    )
