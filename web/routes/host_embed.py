"""Which websites may embed a competition's live board (duels.embedding): the API
(``GET``/``PUT /api/competitions/{cid}/embed``, bearer token) and the card on the console's
branding page (``POST /host/c/{cid}/branding/embed``, ``host/branding_embed.html``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, Field
from starlette.responses import RedirectResponse, Response

from duels import embedding, errors, store
from web import host_session
from web.deps import Configurer, Reader
from web.embedding import settings_out
from web.routes.host_branding import _show

router = APIRouter()

EMBED_DESCRIPTION = (
    "Origins are `scheme://host[:port]` (http or https, no path, no wildcard), at most "
    f"{embedding.MAX_ORIGINS}. 422 `invalid_origin` (with the origin and a reason), "
    "`too_many_origins`. `/embed/{cid}` may then be framed by these origins and this site; "
    "every other page stays unframeable."
)


class EmbedIn(BaseModel):
    origins: list[Annotated[str, Field(max_length=embedding.MAX_LENGTH)]] = Field(
        max_length=64, description="The websites that may frame the board; [] for none."
    )


@router.get(
    "/api/competitions/{cid}/embed",
    tags=["host"],
    summary="Websites that may embed the live board, and the iframe snippet",
)
def get_embed(cid: str, request: Request, by: Reader) -> dict[str, Any]:
    client = request.app.state.store
    store.get_competition(client, cid)
    return settings_out(client, cid, request.app.state.settings.public_url)


@router.put(
    "/api/competitions/{cid}/embed",
    tags=["host"],
    summary="Set the websites that may embed the live board",
    description=EMBED_DESCRIPTION,
)
def put_embed(cid: str, body: EmbedIn, request: Request, by: Configurer) -> dict[str, Any]:
    client = request.app.state.store
    embedding.set_allowed_origins(client, cid, body.origins, actor=by.actor)
    return settings_out(client, cid, request.app.state.settings.public_url)


@router.post("/host/c/{cid}/branding/embed", include_in_schema=False)
def save_embed(
    request: Request,
    cid: str,
    csrf: Annotated[str, Form()],
    by: Configurer,
    origins: Annotated[str, Form(max_length=2500)] = "",
) -> Response:
    client = request.app.state.store
    scope = f"c:{store.get_competition(client, cid).id}"
    try:
        host_session.check_csrf(request, csrf)
        embedding.set_allowed_origins(client, cid, origins.splitlines(), actor=by.actor)
    except embedding.InvalidOrigin as exc:
        failed = {"code": exc.code, "origin": exc.origin, "reason": exc.reason}
        return _show(request, scope, 422, embed_failed=failed, embed_filled=origins)
    except errors.DomainError as exc:
        return _show(request, scope, 422, embed_failed={"code": exc.code}, embed_filled=origins)
    return RedirectResponse(
        f"/host/c/{cid}/branding?ok=embed_saved#branding-embed", status_code=303
    )
