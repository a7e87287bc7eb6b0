"""The one settings object, read from the environment (prefix ``MACHMAL_``).

Build it once at process start with :func:`load_settings` and pass it down;
no other module reads ``os.environ``.
"""

from __future__ import annotations

import ipaddress
import json
import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_SECRET_KEY_LENGTH = 32
MIN_HOST_TOKEN_LENGTH = 24
_WEAK_SECRETS = {"changeme", "secret", "password", "development", "test", "admin"}


class SettingsError(Exception):
    """The configuration cannot be used; the message says what to set."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MACHMAL_", extra="ignore")

    # "production" refuses to start with missing or weak secrets; "development"
    # generates them once and keeps them in the data dir.
    mode: Literal["development", "production"] = "development"

    redis_url: str | None = Field(
        default=None, description="Redis to use; unset starts an embedded redis-server."
    )
    redis_port: int = Field(default=0, description="Port of the embedded Redis; 0 picks one.")
    redis_timeout: float = Field(
        default=0.5, gt=0, description="Budget in seconds for one Redis call before 503."
    )
    redis_fsync_always: bool = False
    # Past one machine (README "Scaling"): records and votes on a Redis Cluster, RQ and the
    # live-event announcements on a plain Redis (RQ and pub/sub do not run on a Cluster).
    redis_cluster: bool = Field(
        default=False, description="redis_url names one node of a Redis Cluster."
    )
    queue_url: str | None = Field(
        default=None, description="Plain Redis for RQ and pub/sub; defaults to redis_url."
    )

    host_token: SecretStr | None = None
    secret_key: SecretStr | None = None
    public_url: str = "http://127.0.0.1:8000"
    data_dir: Path = Path(".machmal")
    default_language: Literal["de", "en"] = "de"
    # Footer links of pages without a competition, when the default organisation has none.
    imprint_url: str = Field(default="", max_length=500, description="Impressum link.")
    privacy_url: str = Field(default="", max_length=500, description="Datenschutz link.")

    # Host console sessions (web/host_session.py): server-side records in Redis.
    host_session_idle_seconds: int = Field(
        default=8 * 3600, ge=60, description="A console session unused this long ends."
    )
    host_session_max_seconds: int = Field(
        default=24 * 3600, ge=60, description="A console session ends this long after login."
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token /metrics asks for; unset: /metrics answers loopback only.",
    )
    trusted_proxies: str = Field(
        default="127.0.0.1/32,::1/128",
        description="Comma-separated networks of our reverse proxies: only a peer in one of "
        "them is believed about the client's address (X-Forwarded-For); empty = nobody.",
    )

    # Voting limits (see DESIGN.md, fraud throttling). The per-IP limits apply in the
    # "open" admission mode only: elsewhere admission decides who votes, and a venue's
    # Wi-Fi is one IP.
    votes_per_ip_per_minute: int = Field(default=600, ge=1)
    votes_per_ip_ua_per_minute: int = Field(default=120, ge=1)
    votes_per_token_per_minute: int = Field(default=20, ge=1)
    pow_difficulty: int = Field(default=0, ge=0, le=28, description="Leading zero bits asked.")
    pow_burst_difficulty: int = Field(default=14, ge=0, le=28)
    pow_burst_new_voters_per_minute: int = Field(
        default=30,
        ge=1,
        description="Open mode: a network minting more new voter cookies per duel than this "
        "(a leaky count: each counts for a minute divided by this) is asked the burst "
        "difficulty.",
    )
    challenge_ttl_seconds: int = Field(default=300, ge=10)

    # Admission (voting/admission.py): who may vote, per competition or duel.
    presence_rotate_seconds: int = Field(
        default=20, ge=5, le=600, description="Venue mode: the screen's code changes this often."
    )
    presence_grace_seconds: int = Field(
        default=40, ge=0, le=3600, description="A code is still accepted this long after it left."
    )
    presence_valid_seconds: int = Field(
        default=1800, ge=30, description="A phone that scanned may vote in that duel this long."
    )
    presence_phones_per_code: int = Field(
        default=400,
        ge=1,
        description="More votes admitted by one rotating code than this: held back as relayed.",
    )
    code_second_phone: Literal["refuse", "move"] = Field(
        default="refuse",
        description="A code claimed on a second phone: refused (a host can release it), or "
        "moved to the new phone (the old one loses it).",
    )
    code_claim_failures_per_minute: int = Field(
        default=10, ge=1, description="Wrong attendee codes one network may type per minute."
    )
    smtp_url: SecretStr | None = Field(
        default=None,
        description="smtp://user:pass@host:587 (STARTTLS when offered; ?starttls=require "
        "insists), smtps://host:465 (implicit TLS). Unset: development logs the links.",
    )
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)
    mail_from: str = Field(default="Mach mal <noreply@localhost>", max_length=200)
    verify_link_seconds: int = Field(default=900, ge=60, description="Verification link life.")
    verify_mails_per_address_per_hour: int = Field(default=3, ge=1)
    verify_mails_per_domain_per_hour: int = Field(default=300, ge=1)
    verify_mails_per_network_per_hour: int = Field(default=30, ge=1)

    # Tally worker (workers/tally.py): batches, take-over of a dead worker's batch, sweep.
    tally_batch_size: int = Field(default=500, ge=1, le=10_000)
    tally_claim_idle_seconds: float = Field(
        default=5.0, gt=0, description="Pending votes idle this long are taken over."
    )
    tally_sweep_seconds: float = Field(default=2.0, gt=0)
    tally_linger_seconds: float = Field(
        default=0.5,
        ge=0,
        le=1.5,  # under the tally-pending flag's 2 s, so a lingering job never overlaps
        description="A tally job keeps counting votes that follow within 50 ms this long.",
    )
    worker_log_jobs: bool = Field(default=False, description="Log every RQ job at INFO.")

    # Fraud rules of the tally (voting/rules.py): hold back, never drop; judged over the
    # duel's whole voting window, so earlier votes of a group are held back too.
    fraud_votes_per_network: int = Field(
        default=20,
        ge=1,
        description="Open mode: a network with more votes than this in one duel is held back.",
    )
    evidence_bucket_seconds: int = Field(default=5, ge=1, description="Timeline granularity.")

    # Request bodies other than uploads (web/limits.py).
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    body_timeout_seconds: float = Field(default=10.0, gt=0)
    max_json_depth: int = Field(default=32, ge=2)

    # Company uploads.
    max_upload_bytes: int = Field(default=200 * 1024 * 1024, ge=1024)
    max_video_seconds: float = Field(default=180.0, gt=0)
    media_threads: int = Field(
        default=2, ge=1, le=64, description="ffmpeg threads (-threads) of one transcode."
    )
    media_stale_seconds: float = Field(
        default=30.0, gt=0, description="A transcode silent this long lost its worker: re-queue."
    )
    require_approved_videos: bool = Field(
        default=True, description="Open voting only when both videos are approved."
    )

    # Live board (SSE).
    sse_heartbeat_seconds: float = Field(default=15.0, gt=0, description="Idle comment interval.")
    sse_tally_interval_seconds: float = Field(
        default=0.5, ge=0, description="Longest gap between a duel's tally updates (0 = all)."
    )
    sse_tally_sends_per_second: float = Field(
        default=5000.0,
        gt=0,
        description="Client sends per second a duel's tally updates may cost a web process: "
        "the gap between updates is watchers / this, up to sse_tally_interval_seconds.",
    )
    sse_client_queue: int = Field(
        default=64, ge=1, description="Events buffered per SSE client before it must resync."
    )
    # A venue's NAT carries a few projectors and boards, not hundreds (web/stream_slots.py).
    sse_clients_per_address: int = Field(
        default=20, ge=1, description="Live streams one address (IPv6: its /64) may hold open."
    )
    sse_clients_per_process: int = Field(
        default=5000, ge=1, description="Live streams one web process holds; more get 503."
    )
    # uvicorn's limit_concurrency: past this many open connections (live streams included)
    # it answers 503, so the streams' own cap must leave room for votes and pages.
    max_connections: int = Field(
        default=10_000, ge=2, description="Open connections per web process (machmal serve)."
    )

    @field_validator("max_connections")
    @classmethod
    def _room_beside_streams(cls, value: int, info: ValidationInfo) -> int:
        streams = info.data.get("sse_clients_per_process")
        if streams is not None and streams >= value:
            raise ValueError(
                "must be larger than sse_clients_per_process: live streams hold connections too"
            )
        return value

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        parts = [part.strip() for part in value.split(",") if part.strip()]
        for part in parts:
            ipaddress.ip_network(part, strict=False)  # ValueError names a bad one
        return ",".join(parts)

    @property
    def queue_redis_url(self) -> str | None:
        """The Redis of RQ and pub/sub: ``queue_url``, else the store's own."""
        return self.queue_url or self.redis_url

    def check_redis(self) -> Settings:
        """Refuse a cluster set-up that cannot work (called once at start-up)."""
        if self.redis_cluster and not self.redis_url:
            raise SettingsError("MACHMAL_REDIS_CLUSTER needs MACHMAL_REDIS_URL (a cluster node)")
        if self.redis_cluster and not self.queue_url:
            raise SettingsError(
                "MACHMAL_REDIS_CLUSTER needs MACHMAL_QUEUE_URL: a plain Redis for RQ and "
                "pub/sub, which do not run on a Redis Cluster"
            )
        return self

    @property
    def mail_ready(self) -> bool:
        """Verification mail can go out: over SMTP, or to the log outside production."""
        return self.smtp_url is not None or self.mode != "production"

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    def host_token_value(self) -> str:
        if self.host_token is None:
            raise SettingsError("MACHMAL_HOST_TOKEN is not set")
        return self.host_token.get_secret_value()

    def secret_key_value(self) -> str:
        if self.secret_key is None:
            raise SettingsError("MACHMAL_SECRET_KEY is not set")
        return self.secret_key.get_secret_value()

    def with_secrets(self) -> Settings:
        """Return settings whose secrets are set and strong enough.

        Production: missing or weak secrets are an error. Development: missing
        ones are generated once and kept in ``data_dir/secrets.json`` so the
        web process, the workers and a restart all agree.
        """
        if self.mode == "production":
            _check_strong("MACHMAL_SECRET_KEY", self.secret_key, MIN_SECRET_KEY_LENGTH)
            _check_strong("MACHMAL_HOST_TOKEN", self.host_token, MIN_HOST_TOKEN_LENGTH)
            return self
        if self.secret_key is not None and self.host_token is not None:
            return self
        stored = _load_or_create_dev_secrets(self.data_dir)
        return self.model_copy(
            update={
                "secret_key": self.secret_key or SecretStr(stored["secret_key"]),
                "host_token": self.host_token or SecretStr(stored["host_token"]),
            }
        )


def _check_strong(name: str, value: SecretStr | None, min_length: int) -> None:
    if value is None or not value.get_secret_value():
        raise SettingsError(f"{name} must be set in production mode")
    raw = value.get_secret_value()
    if len(raw) < min_length or raw.lower() in _WEAK_SECRETS or len(set(raw)) < 8:
        raise SettingsError(
            f"{name} is too weak: use at least {min_length} random characters "
            "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
        )


def _load_or_create_dev_secrets(data_dir: Path) -> dict[str, str]:
    path = data_dir / "secrets.json"
    if path.exists():
        loaded: dict[str, str] = json.loads(path.read_text())
        return loaded
    data_dir.mkdir(parents=True, exist_ok=True)
    created = {
        "secret_key": secrets.token_urlsafe(32),
        "host_token": secrets.token_urlsafe(24),
    }
    # Written with 0600 so other users of the machine cannot read it.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(created, handle)
    return created


def load_settings(**overrides: object) -> Settings:
    """Read the environment once; ``overrides`` win (used by the CLI options)."""
    return Settings(**overrides).check_redis().with_secrets()  # type: ignore[arg-type]
