"""Fixtures of the video tests: real clips made by ffmpeg, a competition with
companies in duels, the app with approved videos required, a real media worker."""

from __future__ import annotations

import io
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from starlette.testclient import TestClient

from duels import store
from duels.records import Duel
from duels.settings import Settings
from tests.support import Process, start_worker
from web.app import create_app


@dataclass(frozen=True)
class Clips:
    valid: bytes  # 2 s, 320x240, H.264 in MP4
    webm: bytes  # 2 s, VP8 in WebM
    truncated: bytes  # first half of the valid MP4: no moov box, unreadable


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> Clips:
    folder = tmp_path_factory.mktemp("clips")
    source = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=10"]
    valid, webm = folder / "valid.mp4", folder / "valid.webm"
    subprocess.run([*source, "-t", "2", "-pix_fmt", "yuv420p", str(valid)], check=True)
    subprocess.run([*source, "-t", "2", "-c:v", "libvpx", str(webm)], check=True)
    data = valid.read_bytes()
    return Clips(valid=data, webm=webm.read_bytes(), truncated=data[: len(data) // 2])


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("video.mp4", b"not really a video " * 100)
    return buffer.getvalue()


@pytest.fixture
def video_settings(settings: Settings, tmp_path: Path) -> Settings:
    """Own data dir per test (so leftovers are visible) and the real rule: approved videos."""
    return settings.model_copy(
        update={"data_dir": tmp_path / "data", "require_approved_videos": True}
    )


@pytest.fixture
def app_client(video_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(video_settings)) as test_client:
        yield test_client


@pytest.fixture
def media_worker(video_settings: Settings) -> Iterator[Process]:
    process = start_worker(video_settings)
    yield process
    process.stop()


@dataclass
class Company:
    id: str
    name: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class League:
    """Four teams of four companies, drawn: two duels in round 1."""

    cid: str
    companies: list[Company]
    duels: list[Duel]

    def duel_of(self, company: Company) -> Duel:
        return next(d for d in self.duels if company.id in (d.home_company, d.away_company))

    def team_of(self, company: Company) -> str:
        duel = self.duel_of(company)
        return duel.home if duel.home_company == company.id else duel.away

    def outsider(self, duel: Duel) -> Company:
        return next(c for c in self.companies if c.id not in (duel.home_company, duel.away_company))


def post(client: TestClient, headers: dict[str, str], path: str, body: object, status: int) -> dict:  # type: ignore[type-arg]
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == status, response.text
    return response.json()  # type: ignore[no-any-return]


def make_league(
    client: TestClient,
    host_headers: dict[str, str],
    redis_client: redis.Redis,
    team_names: tuple[str, ...] = ("Teig & Co", "Hobelbande", "Kochlöffel", "Kabelsalat"),
) -> League:
    cid = post(client, host_headers, "/api/competitions", {"title": "Videocup"}, 201)["id"]
    companies = []
    for number, team_name in enumerate(team_names):
        created = post(
            client, host_headers, f"/api/competitions/{cid}/companies",
            {"name": f"Firma {number}"}, 201,
        )  # fmt: skip
        companies.append(Company(created["id"], created["name"], created["invite_token"]))
        post(
            client, host_headers, f"/api/competitions/{cid}/teams",
            {"company_id": created["id"], "name": team_name, "trade": "Tischler/in"}, 201,
        )  # fmt: skip
    post(client, host_headers, f"/api/competitions/{cid}/bracket", {"seed": 7}, 201)
    duels = [d for d in store.duels_of_competition(redis_client, cid) if d.round == 1 and d.away]
    assert len(duels) == 2
    return League(cid, companies, duels)


@pytest.fixture
def league(
    app_client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis
) -> League:
    return make_league(app_client, host_headers, redis_client)


def media_files(settings: Settings) -> list[str]:
    folder = settings.data_dir / "media"
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []
