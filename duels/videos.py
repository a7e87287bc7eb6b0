"""Duel videos: what a company may submit, how an upload lands on disk, and the
record each submission leaves in Redis (``keys.videos(did)``: team id -> JSON).

A submission is an upload (a file under ``data_dir/media``, probed by the media
worker) or a link-out to the team's post on YouTube, Instagram or TikTok (pages
load no third-party scripts, so a link is shown as a card). Life of a record::

    upload: uploaded -> processing -> ready | rejected      link: ready
    host:   ready -> approved, anything -> rejected (with a reason)

The media worker turns every upload into a web rendition (H.264/AAC MP4,
``rendition``); that and its poster are what pages play. The original (``file``)
stays for the host until the competition's media is purged.

The approved video of each side is mirrored into the duel hash
(``home_video``/``home_poster``/``home_video_link``/``home_video_width``/
``home_video_height``, same for ``away``), which the vote page reads. A new
submission for a side whose video is approved keeps the approved one playing
(``held``) until the new one is approved itself.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

import orjson
import redis

from duels import keys, store
from duels.errors import Conflict, Forbidden, Invalid, NotFound, TooLarge, UnsupportedMedia
from duels.records import Company, Duel
from duels.settings import Settings

VideoStatus = Literal["uploaded", "processing", "ready", "rejected", "approved"]
VideoKind = Literal["upload", "link"]
SERVABLE: tuple[VideoStatus, ...] = ("ready", "approved")

MEDIA_TYPES = {
    "mp4": "video/mp4",
    "webm": "video/webm",
    "mov": "video/quicktime",
    "jpg": "image/jpeg",
}
# Server-generated media names: <duel id>-<team id>-<random hex>.<ext>; nothing else is served.
_MEDIA_NAME = re.compile(r"^([a-z0-9]{1,32})-([a-z0-9]{1,32})-([0-9a-f]{12})\.(mp4|webm|mov|jpg)$")
# ISO-BMFF brands that carry a still image or audio only, not a video (JPEG 2000/XL
# brands also make ffmpeg's format guess skip MOV, e.g. for a DASH manifest behind them).
_NOT_VIDEO_BRANDS = {
    b"heic", b"heix", b"mif1", b"msf1", b"avif", b"M4A ", b"M4B ", b"M4P ",
    b"jp2 ", b"jpx ", b"jpm ", b"jxl ",
}  # fmt: skip
_FTYP_SIZES = range(16, 1025)  # size field of a real ftyp box: 16 bytes plus 4 per brand
_MAGIC_LENGTH = 12


@dataclass(frozen=True, slots=True)
class Video:
    """One team's submission for one duel."""

    duel: str
    team: str
    company: str
    kind: VideoKind
    status: VideoStatus
    submitted_at: float
    updated_at: float
    url: str = ""  # link-out (kind "link")
    provider: str = ""  # youtube, instagram, tiktok
    file: str = ""  # media name (kind "upload")
    poster: str = ""  # media name of the JPEG poster
    content_type: str = ""
    size: int = 0
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    codec: str = ""  # of the original upload
    reason: str = ""  # why it was rejected, shown to the company
    rendition: str = ""  # media name of the web MP4 the pages play
    progress: int = 0  # percent of the transcode, while processing
    held: str = ""  # JSON of the approved record that plays until this one is approved

    def to_json(self) -> str:
        return orjson.dumps(asdict(self)).decode()

    @classmethod
    def from_json(cls, raw: str | bytes) -> Video:
        data = orjson.loads(raw)
        known = set(cls.__dataclass_fields__)
        return cls(**{name: value for name, value in data.items() if name in known})

    @property
    def played(self) -> str:
        """The media name pages play: the rendition (an original only in records made before)."""
        return self.rendition or self.file

    @property
    def media_url(self) -> str:
        return f"/media/{self.played}" if self.played else ""

    @property
    def live(self) -> Video | None:
        """The approved video that plays for this side: this one, or the one it replaces."""
        if self.status == "approved":
            return self
        return Video.from_json(self.held) if self.held else None

    @property
    def poster_url(self) -> str:
        return f"/media/{self.poster}" if self.poster else ""

    def public(self) -> dict[str, Any]:
        out = asdict(self)
        out["media_url"] = self.media_url
        out["poster_url"] = self.poster_url
        del out["held"]
        return out


# Where media lives and how it is named ------------------------------------------


def media_dir(settings: Settings) -> Path:
    return settings.data_dir / "media"


def new_media_stem(did: str, team_id: str) -> str:
    return f"{did}-{team_id}-{secrets.token_hex(6)}"


def parse_media_name(name: str) -> tuple[str, str, str] | None:
    """(duel id, team id, extension) of a server-generated media name, else None."""
    match = _MEDIA_NAME.match(name)
    return (match.group(1), match.group(2), match.group(4)) if match else None


def detect_container(head: bytes) -> str | None:
    """The container an upload's first bytes announce: mp4, mov or webm; None if no video."""
    if head[:4] == b"\x1a\x45\xdf\xa3":  # EBML header (WebM / Matroska)
        return "webm"
    if len(head) >= _MAGIC_LENGTH and head[4:8] == b"ftyp":  # ISO-BMFF: size, 'ftyp', brand
        brand = head[8:12]
        if brand in _NOT_VIDEO_BRANDS or int.from_bytes(head[:4], "big") not in _FTYP_SIZES:
            return None
        return "mov" if brand == b"qt  " else "mp4"
    return None


class UploadSink:
    """One upload on its way to disk, written in chunks as they arrive.

    The bytes go to a hidden temp file in the media dir; the size limit is
    enforced while writing and the magic bytes are checked on the first chunk.
    :meth:`land` fsyncs and renames it into place atomically; :meth:`discard`
    removes it, so an aborted upload leaves nothing behind.
    """

    def __init__(self, directory: Path, limit: int) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=directory, prefix=".upload-", suffix=".part")
        self._file = os.fdopen(fd, "wb")
        self.temp_path = Path(name)
        self.directory = directory
        self.limit = limit
        self.size = 0
        self.container: str | None = None
        self._head = b""

    def write(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise TooLarge(f"The video is larger than {self.limit} bytes.", code="too_large")
        if self.container is None and len(self._head) < _MAGIC_LENGTH:
            self._head += data[: _MAGIC_LENGTH - len(self._head)]
            if len(self._head) >= _MAGIC_LENGTH:
                self._check_magic()
        self._file.write(data)

    def finish(self) -> str:
        """Called once all bytes are in; returns the container (mp4, mov, webm)."""
        if self.container is None:
            self._check_magic()
        assert self.container is not None
        return self.container

    def _check_magic(self) -> None:
        self.container = detect_container(self._head)
        if self.container is None:
            raise UnsupportedMedia(
                "This file is not an MP4, MOV or WebM video.", code="not_a_video"
            )

    def land(self, final: Path) -> None:
        """Make the upload durable under its final name, all or nothing."""
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self.temp_path, final)
        directory_fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(directory_fd)  # the rename itself survives a crash
        finally:
            os.close(directory_fd)

    def discard(self) -> None:
        if not self._file.closed:
            self._file.close()
        self.temp_path.unlink(missing_ok=True)


def remove_media(directory: Path, video: Video | None) -> None:
    """Delete the files of a submission that was replaced (an approved one is held, not gone)."""
    if video is None or video.status == "approved":
        return
    for name in (video.file, video.rendition, video.poster):
        if name and parse_media_name(name):
            (directory / name).unlink(missing_ok=True)


# Links ----------------------------------------------------------------------------

_LINK_HOSTS = {
    "youtube.com": "youtube",
    "www.youtube.com": "youtube",
    "m.youtube.com": "youtube",
    "youtu.be": "youtube",
    "instagram.com": "instagram",
    "www.instagram.com": "instagram",
    "tiktok.com": "tiktok",
    "www.tiktok.com": "tiktok",
    "vm.tiktok.com": "tiktok",
}
_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_INSTAGRAM_CODE = re.compile(r"^[A-Za-z0-9_-]{5,64}$")
_TIKTOK_USER = re.compile(r"^@[A-Za-z0-9._]{1,64}$")
_TIKTOK_ID = re.compile(r"^\d{5,25}$")
_TIKTOK_SHORT = re.compile(r"^[A-Za-z0-9]{5,32}$")
MAX_URL_LENGTH = 500


def normalise_link(raw: str) -> tuple[str, str]:
    """(canonical https URL, provider) of a post on YouTube, Instagram or TikTok.

    Tracking parameters and fragments are dropped; anything but a post on an
    allowed host is refused.
    """
    text = (raw or "").strip()
    if not text or len(text) > MAX_URL_LENGTH:
        raise Invalid("Give the link to the team's post.", code="invalid_url")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as exc:
        raise Invalid("This is not a valid link.", code="invalid_url") from exc
    if parts.scheme.lower() != "https":
        raise Invalid("Only https links are accepted.", code="https_required")
    if parts.username is not None or parts.password is not None or port not in (None, 443):
        raise Invalid("This is not a valid link.", code="invalid_url")
    host = (parts.hostname or "").lower().rstrip(".")
    provider = _LINK_HOSTS.get(host)
    if provider is None:
        raise Invalid("Links to YouTube, Instagram or TikTok only.", code="link_host_not_allowed")
    segments = [segment for segment in parts.path.split("/") if segment]
    canonical = _canonical(provider, host, segments, parse_qs(parts.query))
    if canonical is None:
        raise Invalid("This link does not point to a single post.", code="unsupported_link")
    return canonical, provider


def _canonical(
    provider: str, host: str, segments: list[str], query: dict[str, list[str]]
) -> str | None:
    if provider == "youtube":
        video_id = ""
        if host == "youtu.be" and segments:
            video_id = segments[0]
        elif segments == ["watch"]:
            video_id = (query.get("v") or [""])[0]
        elif len(segments) >= 2 and segments[0] in ("shorts", "embed", "live", "v"):
            video_id = segments[1]
        if not _YOUTUBE_ID.match(video_id):
            return None
        return f"https://www.youtube.com/watch?v={video_id}"
    if provider == "instagram":
        for kind, code in itertools.pairwise(segments):
            if kind in ("p", "reel", "reels", "tv") and _INSTAGRAM_CODE.match(code):
                kind = "reel" if kind == "reels" else kind
                return f"https://www.instagram.com/{kind}/{code}/"
        return None
    if host == "vm.tiktok.com":
        if len(segments) == 1 and _TIKTOK_SHORT.match(segments[0]):
            return f"https://vm.tiktok.com/{segments[0]}/"
        return None
    if len(segments) == 3 and segments[1] == "video":
        user, _, video_id = segments
        if _TIKTOK_USER.match(user) and _TIKTOK_ID.match(video_id):
            return f"https://www.tiktok.com/{user}/video/{video_id}"
    if len(segments) == 2 and segments[0] == "t" and _TIKTOK_SHORT.match(segments[1]):
        return f"https://www.tiktok.com/t/{segments[1]}/"
    return None


# Who may submit what, and until when ----------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """The duel side a company submits for."""

    duel: Duel
    team_id: str
    company_id: str


LATEST_DEADLINE = 32503680000.0  # 3000-01-01, far inside what datetime can show


def deadline_of(duel: Duel) -> float | None:
    raw = duel.extra.get("submit_until", "")
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


def own_teams(duel: Duel, company_id: str) -> list[str]:
    sides = ((duel.home, duel.home_company), (duel.away, duel.away_company))
    return [team for team, company in sides if team and company == company_id]


def submission_target(
    client: redis.Redis,
    company: Company,
    did: str,
    team_id: str | None = None,
    *,
    now: float | None = None,
    need_team: bool = True,
) -> Target:
    """Check that ``company`` may submit for ``did`` now; 403/409/422 otherwise.

    ``need_team=False`` is the check before an upload streams in, when a
    company with both teams of a duel has not named the team yet.
    """
    duel = store.get_duel(client, did)
    own = own_teams(duel, company.id) if duel.competition == company.competition else []
    if not own or (team_id and team_id not in own):
        raise Forbidden("This duel is not one of your company's duels.", code="not_your_duel")
    if team_id:
        chosen = team_id
    elif len(own) == 1 or not need_team:
        chosen = own[0]
    else:
        raise Invalid("Both teams are yours: name the team (team_id).", code="team_required")
    if duel.status != "pending":
        raise Conflict("Voting has started; the video can no longer change.", code="voting_started")
    deadline = deadline_of(duel)
    if deadline is not None and (time.time() if now is None else now) >= deadline:
        raise Conflict("The submission deadline has passed.", code="deadline_passed")
    return Target(duel=duel, team_id=chosen, company_id=company.id)


def set_deadline(
    client: redis.Redis, did: str, submit_until: float | None, actor: str = "host"
) -> Duel:
    duel = store.get_duel(client, did)
    # The portal shows the deadline as a date: refuse what no calendar holds (NaN, inf, 1e308).
    if submit_until is not None and not 0 <= submit_until <= LATEST_DEADLINE:
        raise Invalid("The deadline is not a date.", code="invalid_time")
    client.hset(keys.duel(did), "submit_until", "" if submit_until is None else repr(submit_until))
    store.audit(
        client, duel.competition, actor, "video_deadline", duel=did, submit_until=submit_until
    )
    return store.get_duel(client, did)


# Records ----------------------------------------------------------------------------


def get_video(client: redis.Redis, did: str, team_id: str) -> Video | None:
    raw = client.hget(keys.videos(did), team_id)
    return Video.from_json(str(raw)) if raw else None


def videos_of_duel(client: redis.Redis, did: str) -> dict[str, Video]:
    raw: dict[str, str] = client.hgetall(keys.videos(did))  # type: ignore[assignment]
    return {team: Video.from_json(value) for team, value in raw.items()}


_SIDE_FIELDS = ("video", "poster", "video_type", "video_link", "video_width", "video_height")


def _duel_fields(side: str, video: Video | None) -> dict[Any, Any]:
    """The vote page's view of one side: the approved (or held) video, cleared if none."""
    live = video.live if video is not None else None
    if live is None:
        return {f"{side}_{name}": "" for name in _SIDE_FIELDS}
    return {
        f"{side}_video": live.media_url,
        f"{side}_poster": live.poster_url,
        f"{side}_video_type": MEDIA_TYPES.get(live.played.rpartition(".")[2], "")
        if live.played
        else "",
        f"{side}_video_link": live.url,
        f"{side}_video_width": str(live.width or ""),
        f"{side}_video_height": str(live.height or ""),
    }


def _successor(old: Video | None, new: Video) -> Video:
    """``new`` replacing ``old``: an approved video keeps playing until ``new`` is approved."""
    if old is None:
        return new
    return replace(new, held=old.to_json() if old.status == "approved" else old.held)


Change = Callable[[Video | None], Video | None]


def _change(
    client: redis.Redis, duel: Duel, team_id: str, change: Change
) -> tuple[Video | None, Video | None]:
    """Apply ``change`` to the team's record atomically (WATCH/MULTI on the duel's
    slot) and mirror the result into the duel hash. ``change`` returns None to
    leave everything as it is. Returns (before, after)."""
    side = "home" if team_id == duel.home else "away"
    outcome: dict[str, Video | None] = {}

    def step(pipe: redis.client.Pipeline) -> None:
        raw = pipe.hget(keys.videos(duel.id), team_id)
        before = Video.from_json(str(raw)) if raw else None
        after = change(before)
        outcome["before"], outcome["after"] = before, after
        pipe.multi()
        if after is not None:
            pipe.hset(keys.videos(duel.id), team_id, after.to_json())
            pipe.hset(keys.duel(duel.id), mapping=_duel_fields(side, after))

    client.transaction(step, keys.videos(duel.id))
    before = outcome["before"]
    return before, outcome["after"] or before


def submit_link(client: redis.Redis, target: Target, raw_url: str) -> tuple[Video, Video | None]:
    """Store a link-out; returns (new record, replaced record)."""
    url, provider = normalise_link(raw_url)
    now = time.time()
    video = Video(
        duel=target.duel.id,
        team=target.team_id,
        company=target.company_id,
        kind="link",
        status="ready",
        submitted_at=now,
        updated_at=now,
        url=url,
        provider=provider,
    )
    before, after = _change(client, target.duel, target.team_id, partial(_successor, new=video))
    assert after is not None
    return after, before


def record_upload(
    client: redis.Redis, target: Target, file: str, size: int
) -> tuple[Video, Video | None]:
    """Point the team's record at a landed upload; returns (new record, replaced record)."""
    now = time.time()
    video = Video(
        duel=target.duel.id,
        team=target.team_id,
        company=target.company_id,
        kind="upload",
        status="uploaded",
        submitted_at=now,
        updated_at=now,
        file=file,
        content_type=MEDIA_TYPES[file.rpartition(".")[2]],
        size=size,
    )
    before, after = _change(client, target.duel, target.team_id, partial(_successor, new=video))
    assert after is not None
    return after, before


# Processing (the media worker) ------------------------------------------------------


def _same_upload(video: Video | None, file: str, statuses: Iterable[str]) -> bool:
    return video is not None and video.file == file and video.status in statuses


def start_processing(client: redis.Redis, did: str, team_id: str, file: str) -> Video | None:
    """Mark the upload as processing; None if it was replaced meanwhile (stale job)."""
    duel = store.get_duel(client, did)

    def change(old: Video | None) -> Video | None:
        if not _same_upload(old, file, ("uploaded", "processing")):
            return None
        assert old is not None
        return replace(old, status="processing", updated_at=time.time())

    before, after = _change(client, duel, team_id, change)
    return after if after is not before else None


def finish_processing(
    client: redis.Redis,
    did: str,
    team_id: str,
    file: str,
    *,
    poster: str,
    duration: float,
    width: int,
    height: int,
    codec: str,
    rendition: str = "",
) -> bool:
    """The upload is a playable video (``width``/``height`` of the rendition);
    False if it was replaced meanwhile."""
    duel = store.get_duel(client, did)

    def change(old: Video | None) -> Video | None:
        if not _same_upload(old, file, ("processing",)):
            return None
        assert old is not None
        return replace(
            old,
            status="ready",
            poster=poster,
            duration=round(duration, 2),
            width=width,
            height=height,
            codec=codec,
            rendition=rendition,
            progress=100,
            reason="",
            updated_at=time.time(),
        )

    before, after = _change(client, duel, team_id, change)
    return after is not before


def set_progress(client: redis.Redis, did: str, team_id: str, file: str, percent: int) -> bool:
    """Record the transcode's percent (and that its job is alive); False if replaced."""
    duel = store.get_duel(client, did)

    def change(old: Video | None) -> Video | None:
        if not _same_upload(old, file, ("processing",)):
            return None
        assert old is not None
        return replace(old, progress=max(0, min(100, percent)), updated_at=time.time())

    before, after = _change(client, duel, team_id, change)
    return after is not before


def claim_stale(
    client: redis.Redis,
    did: str,
    team_id: str,
    file: str,
    older_than: float,
    statuses: Iterable[str] = ("processing",),
) -> bool:
    """True for exactly one caller when the upload has sat in ``statuses`` for ``older_than``
    seconds without a sign of life (its worker died): that caller queues it again."""
    duel = store.get_duel(client, did)
    now = time.time()

    def change(old: Video | None) -> Video | None:
        if not _same_upload(old, file, tuple(statuses)) or old is None:
            return None
        if now - old.updated_at < older_than:
            return None
        return replace(old, updated_at=now)

    before, after = _change(client, duel, team_id, change)
    return after is not before


def unfinished_uploads(client: redis.Redis) -> list[Video]:
    """Uploads of every competition that are still waiting for or in the media job."""
    found: list[Video] = []
    for cid in sorted(str(cid) for cid in client.smembers(keys.COMPETITIONS)):
        for duel in store.duels_of_competition(client, cid):
            found.extend(
                video
                for video in videos_of_duel(client, duel.id).values()
                if video.kind == "upload" and video.status in ("uploaded", "processing")
            )
    return found


def fail_processing(client: redis.Redis, did: str, team_id: str, file: str, reason: str) -> bool:
    """The upload cannot be used; ``reason`` (German) is shown to the company."""
    duel = store.get_duel(client, did)

    def change(old: Video | None) -> Video | None:
        if not _same_upload(old, file, ("uploaded", "processing")):
            return None
        assert old is not None
        return replace(
            old, status="rejected", reason=reason, poster="", rendition="", updated_at=time.time()
        )

    before, after = _change(client, duel, team_id, change)
    return after is not before


# Moderation ---------------------------------------------------------------------------


def _duel_and_team(client: redis.Redis, did: str, team_id: str) -> Duel:
    duel = store.get_duel(client, did)
    if team_id not in duel.teams:
        raise NotFound(f"Team {team_id!r} is not in duel {did!r}.", code="team_not_in_duel")
    return duel


def approve(
    client: redis.Redis,
    did: str,
    team_id: str,
    actor: str = "host",
    directory: Path | None = None,
) -> Video:
    """Approve a ready video; the approved one it replaces (held) is dropped, its files
    deleted when ``directory`` is given."""
    duel = _duel_and_team(client, did, team_id)

    def change(old: Video | None) -> Video | None:
        if old is None:
            raise NotFound("The team has not submitted a video.", code="no_video")
        if old.status not in ("ready", "approved"):
            raise Conflict(
                f"The video is {old.status}; only a ready video can be approved.",
                code="video_not_ready",
            )
        return replace(old, status="approved", reason="", held="", updated_at=time.time())

    before, after = _change(client, duel, team_id, change)
    assert after is not None
    if directory is not None and before is not None and before.held:
        remove_media(directory, replace(Video.from_json(before.held), status="rejected"))
    store.audit(
        client, duel.competition, actor, "approve_video", duel=did, team=team_id,
        video=after.file or after.url,
    )  # fmt: skip
    return after


def reject(client: redis.Redis, did: str, team_id: str, reason: str, actor: str = "host") -> Video:
    reason = " ".join((reason or "").split())
    if not reason:
        raise Invalid("A reason is required; the company sees it.", code="reason_required")
    duel = _duel_and_team(client, did, team_id)

    def change(old: Video | None) -> Video | None:
        if old is None:
            raise NotFound("The team has not submitted a video.", code="no_video")
        return replace(old, status="rejected", reason=reason, updated_at=time.time())

    _, after = _change(client, duel, team_id, change)
    assert after is not None
    store.audit(
        client, duel.competition, actor, "reject_video", reason, duel=did, team=team_id,
        video=after.file or after.url,
    )  # fmt: skip
    return after


def approved_for_voting(client: redis.Redis, duel: Duel) -> bool:
    """True when every team of the duel has an approved video."""
    found = videos_of_duel(client, duel.id)
    return all(team in found and found[team].live is not None for team in duel.teams)


def submissions(client: redis.Redis, cid: str, round_: int | None = None) -> list[dict[str, Any]]:
    """One row per duel side (missing videos included) for the host's review."""
    store.get_competition(client, cid)
    companies = {company.id: company.name for company in store.list_companies(client, cid)}
    duels = sorted(
        (d for d in store.duels_of_competition(client, cid) if round_ is None or d.round == round_),
        key=lambda d: (d.round, d.match),
    )
    rows: list[dict[str, Any]] = []
    for duel in duels:
        found = videos_of_duel(client, duel.id)
        for side, team, name, company in (
            ("home", duel.home, duel.home_name, duel.home_company),
            ("away", duel.away, duel.away_name, duel.away_company),
        ):
            if not team:
                continue
            video = found.get(team)
            rows.append(
                {
                    "duel": duel.id,
                    "round": duel.round,
                    "match": duel.match,
                    "duel_status": duel.status,
                    "submit_until": deadline_of(duel),
                    "side": side,
                    "team": team,
                    "team_name": name,
                    "company": company,
                    "company_name": companies.get(company, ""),
                    "status": video.status if video else "missing",
                    "kind": video.kind if video else None,
                    "url": (video.url or video.media_url) if video else None,
                    "poster": video.poster_url if video else None,
                    "duration": video.duration if video else None,
                    "width": video.width if video else None,
                    "height": video.height if video else None,
                    "codec": video.codec if video else None,
                    "reason": video.reason if video else None,
                    "progress": video.progress if video else None,
                    "original": video.file if video and video.kind == "upload" else None,
                    "submitted_at": video.submitted_at if video else None,
                }
            )
    return rows


def servable(client: redis.Redis, name: str) -> str | None:
    """The media type of ``name`` when it is the played file or poster of a ready or
    approved video (or of the approved one still held), else None; originals are the host's."""
    parsed = parse_media_name(name)
    if parsed is None:
        return None
    did, team_id, extension = parsed
    video = get_video(client, did, team_id)
    for shown in (video, video.live if video else None):
        if shown and shown.status in SERVABLE and name in (shown.played, shown.poster):
            return MEDIA_TYPES[extension]
    return None


def original_of(client: redis.Redis, did: str, team_id: str) -> tuple[str, str]:
    """(media name, media type) of the team's uploaded original, for the host."""
    video = get_video(client, did, team_id)
    if video is None or video.kind != "upload" or not video.file:
        raise NotFound("The team has not uploaded a video.", code="no_video")
    return video.file, MEDIA_TYPES[video.file.rpartition(".")[2]]


# The company portal ---------------------------------------------------------------------


def company_overview(client: redis.Redis, company: Company) -> dict[str, Any]:
    """What the portal shows a company: its teams and, per duel, its side's video."""
    cid = company.competition
    competition = store.get_competition(client, cid)
    teams = [team for team in store.list_teams(client, cid) if team.company_id == company.id]
    rows: list[dict[str, Any]] = []
    duels = sorted(
        (d for d in store.duels_of_competition(client, cid) if own_teams(d, company.id)),
        key=lambda d: (d.round, d.match),
    )
    now = time.time()
    for duel in duels:
        found = videos_of_duel(client, duel.id)
        deadline = deadline_of(duel)
        open_for_submission = duel.status == "pending" and (deadline is None or now < deadline)
        for team_id in own_teams(duel, company.id):
            mine_home = team_id == duel.home
            rows.append(
                {
                    "duel": duel,
                    "team_id": team_id,
                    "team_name": duel.home_name if mine_home else duel.away_name,
                    "opponent": (duel.away_name if mine_home else duel.home_name) or "",
                    "deadline": deadline,
                    "can_submit": open_for_submission and bool(duel.away),
                    "video": found.get(team_id),
                }
            )
    return {"competition": competition, "company": company, "teams": teams, "rows": rows}
