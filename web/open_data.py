"""Answers that are the same for every caller, meant for other sites: the competition's
feed and its open places. Any origin may read them (CORS ``*``, no credentials), a strong
ETag makes a repeated poll a bodiless 304, and an unknown competition's 404 is readable
from other origins too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import redis
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from duels import errors
from web import caching
from web.errors import domain_error_response

# No Allow-Credentials, so a browser sends no cookie along; ETag exposed for scripts that
# keep it themselves; GET needs no preflight.
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "ETag"}


def description(cache_control: str) -> str:
    """The OpenAPI description's closing paragraph of such a route."""
    return (
        "\n\nThe same for every caller: `Access-Control-Allow-Origin: *` (no credentials), a "
        f"strong `ETag` over the body and `Cache-Control: {cache_control}`; `If-None-Match` "
        "with the current ETag gets 304 without a body. 404 `unknown_competition`."
    )


def responses(example: dict[str, Any]) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI answers of such a route: 200 with ``example``, 304, 404."""
    return {
        200: {"content": {"application/json": {"example": example}}},
        304: {"description": "The client's copy (`If-None-Match`) is current."},
        404: {
            "description": "`unknown_competition`",
            "content": {
                "application/json": {
                    "example": {
                        "detail": {
                            "code": "unknown_competition",
                            "message": "Unknown competition 'nope'.",
                        }
                    }
                }
            },
        },
    }


async def answer(
    request: Request,
    read: Callable[[redis.Redis, str, str], dict[str, Any]],
    cid: str,
    cache_control: str,
) -> Response:
    """``read(store, cid, public_url)`` as JSON for everyone."""
    state = request.app.state
    try:
        data = await run_in_threadpool(read, state.store, cid, state.settings.public_url)
    except errors.NotFound as refused:
        response = domain_error_response(refused)
        response.headers.update(CORS)  # the embedding site may read why, too
        return response
    return caching.json_for_everyone(request, data, cache_control, CORS)
