"""Company portal and duel videos: the invite-link page, video submission (upload
or link-out), host moderation, and serving approved media with range requests.

Uploads never sit whole in memory: the multipart body is parsed as it streams
in (python-multipart's push parser) and the file part goes chunk by chunk into
a :class:`duels.videos.UploadSink`, which enforces the size limit while writing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

import orjson
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, RedirectResponse, Response

from duels import company_invites, errors, store, videos
from duels.records import Company
from duels.settings import Settings
from web import caching
from web.deps import Configurer, Moderator, Reader
from web.errors import error_body, status_for
from web.i18n import pick_language, translator
from web.responses import JSONResponse
from web.security import bearer_token
from web.templating import render
from workers import company_mail, media_jobs

log = logging.getLogger(__name__)
router = APIRouter()

# Multipart framing around the file (boundaries, part headers, small fields).
MULTIPART_SLACK = 64 * 1024
MAX_FIELD_BYTES = 2048
MAX_PARTS = 16
MAX_SMALL_BODY = 16 * 1024
_FIELDS = ("csrf", "team_id", "url")
_BERLIN = ZoneInfo("Europe/Berlin")

_SUBMIT_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "team_id": {"type": "string"},
                    },
                    "required": ["file"],
                }
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"url": {"type": "string"}, "team_id": {"type": "string"}},
                    "required": ["url"],
                }
            },
        },
    }
}


# Host: invites, deadlines, moderation -----------------------------------------------


class DeadlineIn(BaseModel):
    submit_until: float | None = Field(description="Epoch seconds; null removes the deadline")


class RejectIn(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


@router.post(
    "/api/competitions/{cid}/companies/{company_id}/invite",
    tags=["host"], summary="New invite link (the old one stops working)",
)  # fmt: skip
def rotate_invite(cid: str, company_id: str, request: Request, by: Configurer) -> dict[str, Any]:
    client = request.app.state.store
    token = store.rotate_invite(client, cid, company_id, actor=by.actor)
    company = store.get_company(client, cid, company_id)
    return {
        "id": company.id,
        "name": company.name,
        "competition": cid,
        "invite_token": token,
        "invite_url": f"{request.app.state.settings.public_url}/company/{token}",
    }


@router.post(
    "/api/duels/{did}/deadline", tags=["host"], summary="Set the video submission deadline",
)  # fmt: skip
def set_deadline(did: str, body: DeadlineIn, request: Request, by: Configurer) -> dict[str, Any]:
    client = request.app.state.store
    duel = videos.set_deadline(client, did, body.submit_until, actor=by.actor)
    company_mail.schedule_reminder(request.app.state.settings, client, did)
    return {"id": duel.id, "submit_until": videos.deadline_of(duel)}


@router.get(
    "/api/competitions/{cid}/videos", tags=["host"], summary="Video submissions per duel side",
)  # fmt: skip
def list_videos(
    cid: str, request: Request, by: Reader, round: int | None = Query(default=None, ge=1)
) -> list[dict[str, Any]]:
    return videos.submissions(request.app.state.store, cid, round)


@router.post(
    "/api/duels/{did}/videos/{team_id}/approve", tags=["host"], summary="Approve a team's video",
)  # fmt: skip
def approve_video(did: str, team_id: str, request: Request, by: Moderator) -> dict[str, Any]:
    directory = videos.media_dir(request.app.state.settings)
    client = request.app.state.store
    return videos.approve(client, did, team_id, directory=directory, actor=by.actor).public()


@router.get(
    "/api/duels/{did}/videos/{team_id}/original", tags=["host"],
    summary="Download the team's uploaded original (moderators)",
)  # fmt: skip
def original_video(did: str, team_id: str, request: Request, by: Moderator) -> Response:
    name, media_type = videos.original_of(request.app.state.store, did, team_id)
    path = videos.media_dir(request.app.state.settings) / name
    if not path.is_file():
        raise errors.NotFound("The original is no longer kept.", code="unknown_media")
    return FileResponse(
        path,
        media_type=media_type,
        filename=name,
        headers={"Cache-Control": "private, no-store"},
    )


@router.post(
    "/api/duels/{did}/videos/{team_id}/reject", tags=["host"],
    summary="Reject a team's video, with a reason the company sees",
)  # fmt: skip
def reject_video(
    did: str, team_id: str, body: RejectIn, request: Request, by: Moderator
) -> dict[str, Any]:
    client = request.app.state.store
    return videos.reject(client, did, team_id, body.reason, actor=by.actor).public()


# Company: submission ----------------------------------------------------------------


@router.post(
    "/api/duels/{did}/videos", tags=["company"], status_code=202, openapi_extra=_SUBMIT_DOC,
    summary="Submit the team's video: multipart file (202) or JSON link (201)",
)  # fmt: skip
async def submit_video(did: str, request: Request) -> Response:
    token = bearer_token(request)
    if token is None:
        raise errors.Unauthorized(
            "The company's invite token is required.", code="company_token_required"
        )
    company = await run_in_threadpool(store.company_for_token, request.app.state.store, token)
    if company is None:
        raise errors.Forbidden("The invite token is not valid.", code="company_token_invalid")
    status, video = await _submit(request, company, did, expected_csrf=None)
    return JSONResponse(video.public(), status_code=status)


def csrf_token(settings: Settings, invite_token: str) -> str:
    """The portal's form token: bound to the invite token, signed with the secret key."""
    message = b"portal-csrf\x00" + invite_token.encode()
    return hmac.new(settings.secret_key_value().encode(), message, hashlib.sha256).hexdigest()[:40]


def _check_csrf(request: Request, fields: dict[str, str], expected: str | None) -> None:
    if expected is None:
        return  # bearer-token clients send no cookies, so there is nothing to forge
    given = fields.get("csrf") or request.headers.get("x-csrf-token", "")
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise errors.Forbidden("The form has expired; reload the page.", code="csrf_invalid")


async def _submit(
    request: Request, company: Company, did: str, *, expected_csrf: str | None
) -> tuple[int, videos.Video]:
    kind = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if kind == "multipart/form-data":
        return await _submit_multipart(request, company, did, expected_csrf)
    if kind in ("application/json", "application/x-www-form-urlencoded"):
        fields = _small_fields(kind, await _read_small(request))
        _check_csrf(request, fields, expected_csrf)
        return 201, await _submit_link(request, company, did, fields)
    raise errors.UnsupportedMedia(
        "Send multipart/form-data with a file, or JSON with a url.",
        code="unsupported_content_type",
    )


async def _read_small(request: Request) -> bytes:
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > MAX_SMALL_BODY:
        raise errors.TooLarge("The request body is too large.", code="too_large")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_SMALL_BODY:
            raise errors.TooLarge("The request body is too large.", code="too_large")
    return bytes(body)


def _small_fields(kind: str, body: bytes) -> dict[str, str]:
    if kind == "application/json":
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise errors.Invalid("The body is not valid JSON.", code="invalid_body") from exc
        if not isinstance(data, dict):
            raise errors.Invalid("Send a JSON object with a url.", code="invalid_body")
        if any(not isinstance(data.get(name, ""), str) for name in _FIELDS):
            raise errors.Invalid("url and team_id are strings.", code="invalid_body")
        return {name: data[name] for name in _FIELDS if data.get(name)}
    parsed = parse_qs(body.decode("utf-8", "replace"), max_num_fields=len(_FIELDS) * 2)
    return {name: values[0].strip() for name, values in parsed.items() if name in _FIELDS}


async def _submit_link(
    request: Request, company: Company, did: str, fields: dict[str, str]
) -> videos.Video:
    client = request.app.state.store
    team_id = fields.get("team_id") or request.query_params.get("team_id")
    target = await run_in_threadpool(videos.submission_target, client, company, did, team_id)
    if not fields.get("url"):
        raise errors.Invalid("Give the link to the team's post (url).", code="url_required")
    video, before = await run_in_threadpool(videos.submit_link, client, target, fields["url"])
    videos.remove_media(videos.media_dir(request.app.state.settings), before)
    return video


async def _submit_multipart(
    request: Request, company: Company, did: str, expected_csrf: str | None
) -> tuple[int, videos.Video]:
    client = request.app.state.store
    settings: Settings = request.app.state.settings
    query_team = request.query_params.get("team_id")
    # Refuse before a byte is stored: wrong duel, deadline passed, or clearly too large.
    await run_in_threadpool(
        partial(videos.submission_target, client, company, did, query_team, need_team=False)
    )
    limit = settings.max_upload_bytes
    length = request.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit + MULTIPART_SLACK:
        raise errors.TooLarge(f"The video is larger than {limit} bytes.", code="too_large")
    _, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if not boundary:
        raise errors.Invalid("The multipart body has no boundary.", code="malformed_upload")
    directory = videos.media_dir(settings)
    upload = MultipartUpload(
        boundary,
        make_sink=lambda: videos.UploadSink(directory, limit),
        before_file=lambda fields: _check_csrf(request, fields, expected_csrf),
        total_limit=limit + MULTIPART_SLACK,
    )
    try:
        async for chunk in request.stream():
            if chunk:
                await run_in_threadpool(upload.feed, chunk)
        await run_in_threadpool(upload.finish)
        _check_csrf(request, upload.fields, expected_csrf)
        if upload.sink is None:
            if upload.fields.get("url"):
                return 201, await _submit_link(request, company, did, upload.fields)
            raise errors.Invalid("Send the video as the field 'file'.", code="file_required")
        team_id = upload.fields.get("team_id") or query_team
        target = await run_in_threadpool(videos.submission_target, client, company, did, team_id)
        video = await run_in_threadpool(_land, client, settings, target, upload.sink)
    finally:
        upload.discard()
    return 202, video


def _land(
    client: Any, settings: Settings, target: videos.Target, sink: videos.UploadSink
) -> videos.Video:
    """Rename the upload into place, point the record at it, drop the replaced files."""
    name = f"{videos.new_media_stem(target.duel.id, target.team_id)}.{sink.finish()}"
    final = sink.directory / name
    sink.land(final)
    try:
        video, before = videos.record_upload(client, target, name, sink.size)
    except BaseException:
        final.unlink(missing_ok=True)
        raise
    videos.remove_media(sink.directory, before)
    media_jobs.enqueue_upload(settings, video)
    return video


class MultipartUpload:
    """Push parser glue: small fields are collected, the ``file`` part streams into a sink."""

    def __init__(
        self,
        boundary: bytes,
        *,
        make_sink: Callable[[], videos.UploadSink],
        before_file: Callable[[dict[str, str]], None],
        total_limit: int,
    ) -> None:
        self.fields: dict[str, str] = {}
        self.sink: videos.UploadSink | None = None
        self.complete = False
        self._make_sink = make_sink
        self._before_file = before_file
        self._total_limit = total_limit
        self._received = 0
        self._parts = 0
        self._headers: dict[bytes, bytes] = {}
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._part: str | None = None
        self._value = bytearray()
        self._parser = MultipartParser(
            boundary,
            callbacks={
                "on_part_begin": self._on_part_begin,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._on_header_end,
                "on_headers_finished": self._on_headers_finished,
                "on_part_data": self._on_part_data,
                "on_part_end": self._on_part_end,
                "on_end": self._on_end,
            },
        )

    def feed(self, chunk: bytes) -> None:
        self._received += len(chunk)
        if self._received > self._total_limit:
            raise errors.TooLarge("The upload is too large.", code="too_large")
        try:
            self._parser.write(chunk)
        except MultipartParseError as exc:
            raise errors.Invalid(
                "The multipart body is malformed.", code="malformed_upload"
            ) from exc

    def finish(self) -> None:
        self._parser.finalize()
        if not self.complete:
            raise errors.Invalid("The upload ended early.", code="incomplete_upload")
        if self.sink is not None:
            self.sink.finish()

    def discard(self) -> None:
        """Remove the temp file unless it was landed (then there is nothing to remove)."""
        if self.sink is not None:
            self.sink.discard()

    def _on_part_begin(self) -> None:
        self._parts += 1
        if self._parts > MAX_PARTS:
            raise errors.Invalid("Too many form fields.", code="malformed_upload")
        self._headers = {}
        self._part = None

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers[bytes(self._header_field).lower()] = bytes(self._header_value)
        self._header_field.clear()
        self._header_value.clear()

    def _on_headers_finished(self) -> None:
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = params.get(b"name", b"").decode("utf-8", "replace")
        if name == "file" and params.get(b"filename") != b"":
            # An empty filename is a form sent without choosing a file: no file part.
            if self.sink is not None:
                raise errors.Invalid("Send one file.", code="one_file_only")
            self._before_file(self.fields)
            self.sink = self._make_sink()
            self._part = "file"
        elif name in _FIELDS:
            self._part = name
            self._value.clear()
        else:
            self._part = ""

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._part == "file":
            assert self.sink is not None
            self.sink.write(data[start:end])
        elif self._part:
            self._value += data[start:end]
            if len(self._value) > MAX_FIELD_BYTES:
                raise errors.Invalid("A form field is too long.", code="field_too_long")

    def _on_part_end(self) -> None:
        if self._part and self._part != "file":
            self.fields[self._part] = self._value.decode("utf-8", "replace").strip()
        self._part = None

    def _on_end(self) -> None:
        self.complete = True


# Company: the portal pages --------------------------------------------------------------


def _when(epoch: float | None) -> str:
    if epoch is None:
        return ""
    return datetime.fromtimestamp(epoch, _BERLIN).strftime("%d.%m.%Y, %H:%M Uhr")


def _portal(
    request: Request,
    token: str,
    company: Company,
    *,
    error: str = "",
    status_code: int = 200,
) -> Response:
    settings: Settings = request.app.state.settings
    overview = videos.company_overview(request.app.state.store, company)
    busy = any(
        row["video"] is not None and row["video"].status in ("uploaded", "processing")
        for row in overview["rows"]
    )
    sent = request.query_params.get("sent", "")
    response = render(
        request,
        "portal.html",
        {
            **overview,
            "token": token,
            "csrf": csrf_token(settings, token),
            "when": _when,
            "error": error,
            "sent": sent if sent in ("upload", "link") else "",
            "refresh": busy,
            "max_mb": max(1, settings.max_upload_bytes // (1024 * 1024)),
            "max_seconds": int(settings.max_video_seconds),
        },
        status_code=status_code,
    )
    # The invite token is in the URL: keep the page out of caches and search engines.
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _invalid_invite(request: Request, status_code: int = 404) -> Response:
    response = render(request, "portal_invalid.html", {}, status_code=status_code)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.get("/company/{token}", include_in_schema=False)
def portal_page(token: str, request: Request) -> Response:
    company = store.company_for_token(request.app.state.store, token)
    if company is None:
        return _invalid_invite(request)
    company_invites.note_opened(request.app.state.store, company)
    return _portal(request, token, company)


def _message(request: Request, error: errors.DomainError) -> str:
    t = translator(pick_language(request, request.app.state.settings.default_language))
    key = f"portal.error.{error.code}"
    text = t(key)
    return error.message if text == key else text


@router.post("/company/{token}/upload/{did}", include_in_schema=False)
async def portal_submit(token: str, did: str, request: Request) -> Response:
    """The portal's forms (upload or link); JSON answers for its script, else a redirect."""
    wants_json = "application/json" in request.headers.get("accept", "")
    settings: Settings = request.app.state.settings
    company = await run_in_threadpool(store.company_for_token, request.app.state.store, token)
    try:
        if company is None:
            raise errors.Forbidden(
                "This invite link is no longer valid.", code="company_token_invalid"
            )
        status, video = await _submit(
            request, company, did, expected_csrf=csrf_token(settings, token)
        )
    except errors.DomainError as error:
        status = status_for(error)
        if wants_json:
            return JSONResponse(
                error_body(error.code, _message(request, error)), status_code=status
            )
        if company is None:
            return _invalid_invite(request, status)
        return await run_in_threadpool(
            partial(
                _portal, request, token, company, error=_message(request, error), status_code=status
            )
        )
    if wants_json:
        return JSONResponse(video.public(), status_code=status)
    return RedirectResponse(f"/company/{token}?sent={video.kind}#duel-{did}", status_code=303)


# Media ------------------------------------------------------------------------------------


@router.get("/media/{name}", include_in_schema=False)
def media(name: str, request: Request) -> Response:
    """Files of ready or approved videos only, by server-generated name; Range supported."""
    media_type = videos.servable(request.app.state.store, name)
    path = videos.media_dir(request.app.state.settings) / name
    if media_type is None or not path.is_file():
        raise errors.NotFound("No such media.", code="unknown_media")
    # Names are unique per upload: approved files may be cached for a year by anyone.
    parsed = videos.parse_media_name(name)
    video = videos.get_video(request.app.state.store, *parsed[:2]) if parsed else None
    public = video is not None and video.status == "approved"
    return caching.cached_file(
        request, path, media_type, caching.IMMUTABLE if public else "private, max-age=300"
    )
