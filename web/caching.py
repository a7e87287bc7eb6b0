"""Files served with strong validators: ETag, If-None-Match (304) and cache lifetimes.

Media and cards carry content-hashed or upload-unique names, so a name never names
other bytes: such files may be cached for a year. Range and If-Range stay with
Starlette's ``FileResponse``, which is handed our strong ETag.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import orjson
from starlette.requests import Request
from starlette.responses import FileResponse, Response

IMMUTABLE = "public, max-age=31536000, immutable"


def file_etag(path: Path, stat: os.stat_result) -> str:
    """Strong: the name is unique per upload, size and mtime catch a rewrite in place."""
    basis = f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}".encode()
    return f'"{hashlib.sha256(basis).hexdigest()[:32]}"'


def matches(request: Request, etag: str) -> bool:
    """If-None-Match names ``etag`` (or is ``*``); weak comparison, as RFC 9110 asks."""
    header = request.headers.get("if-none-match")
    if header is None:
        return False
    wanted = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return "*" in wanted or etag in wanted


def not_modified(etag: str, cache_control: str) -> Response:
    return Response(status_code=304, headers={"ETag": etag, "Cache-Control": cache_control})


def cached_file(
    request: Request, path: Path, media_type: str, cache_control: str, etag: str | None = None
) -> Response:
    """``path`` with ``etag`` (default: from name, size and mtime); 304 when the client has it."""
    stat = path.stat()
    etag = etag or file_etag(path, stat)
    if matches(request, etag):
        return not_modified(etag, cache_control)
    return FileResponse(
        path,
        media_type=media_type,
        stat_result=stat,
        headers={"ETag": etag, "Cache-Control": cache_control},
    )


def json_for_everyone(
    request: Request, data: object, cache_control: str, headers: dict[str, str]
) -> Response:
    """``data`` as JSON with a strong ETag over the body (304 when the client has it) and
    ``headers`` on both answers: for feeds that are the same for every caller."""
    body = orjson.dumps(data)
    etag = f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    if matches(request, etag):
        response = not_modified(etag, cache_control)
        response.headers.update(headers)
        return response
    kept = {"ETag": etag, "Cache-Control": cache_control, **headers}
    return Response(body, media_type="application/json", headers=kept)
