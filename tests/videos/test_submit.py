"""Submitting videos through the API: who may, what is accepted, what lands on disk."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis
from rq import Queue
from starlette.testclient import TestClient

from duels import keys, videos
from duels.settings import Settings
from tests.videos.conftest import Clips, Company, League, make_league, media_files, zip_bytes
from web.app import create_app


def upload(
    client: TestClient,
    company: Company,
    did: str,
    data: bytes,
    filename: str = "clip.mp4",
    content_type: str = "video/mp4",
) -> dict:  # type: ignore[type-arg]
    response = client.post(
        f"/api/duels/{did}/videos",
        files={"file": (filename, data, content_type)},
        headers=company.auth,
    )
    return {"status": response.status_code, "body": response.json()}


def code(answer: dict) -> str:  # type: ignore[type-arg]
    return str(answer["body"]["detail"]["code"])


def test_a_link_is_stored_normalised_and_ready(app_client: TestClient, league: League) -> None:
    company = league.companies[0]
    duel = league.duel_of(company)
    response = app_client.post(
        f"/api/duels/{duel.id}/videos",
        json={"url": "https://youtu.be/dQw4w9WgXcQ?si=tracking"},
        headers=company.auth,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["url"] == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert body["kind"] == "link"
    assert body["status"] == "ready"
    assert body["team"] == league.team_of(company)


def test_an_upload_lands_in_the_media_dir_and_is_queued(
    app_client: TestClient,
    league: League,
    clips: Clips,
    video_settings: Settings,
    rq_connection: redis.Redis,
) -> None:
    company = league.companies[0]
    duel = league.duel_of(company)
    answer = upload(app_client, company, duel.id, clips.valid)
    assert answer["status"] == 202, answer
    body = answer["body"]
    assert body["status"] == "uploaded"
    assert body["content_type"] == "video/mp4"
    assert body["size"] == len(clips.valid)
    assert media_files(video_settings) == [body["file"]]
    assert (video_settings.data_dir / "media" / body["file"]).read_bytes() == clips.valid
    queue = Queue("media", connection=rq_connection)
    assert queue.job_ids == [f"media-{body['file'].rpartition('.')[0]}"]
    assert queue.fetch_job(queue.job_ids[0]).args == (duel.id, body["team"], body["file"])  # type: ignore[union-attr]


def test_the_company_token_is_required_and_checked(
    app_client: TestClient, league: League, clips: Clips, host_headers: dict[str, str]
) -> None:
    did = league.duels[0].id
    missing = app_client.post(f"/api/duels/{did}/videos", json={"url": "https://youtu.be/x"})
    assert missing.status_code == 401
    assert missing.json()["detail"]["code"] == "company_token_required"
    for headers in ({"Authorization": "Bearer not-a-token"}, host_headers):
        wrong = app_client.post(
            f"/api/duels/{did}/videos", files={"file": ("a.mp4", clips.valid)}, headers=headers
        )
        assert wrong.status_code == 403
        assert wrong.json()["detail"]["code"] == "company_token_invalid"


def test_a_company_cannot_submit_for_another_companys_duel(
    app_client: TestClient, league: League, clips: Clips, video_settings: Settings
) -> None:
    duel = league.duels[0]
    outsider = league.outsider(duel)
    answer = upload(app_client, outsider, duel.id, clips.valid)
    assert answer["status"] == 403
    assert code(answer) == "not_your_duel"
    link = app_client.post(
        f"/api/duels/{duel.id}/videos",
        json={"url": "https://youtu.be/dQw4w9WgXcQ"},
        headers=outsider.auth,
    )
    assert link.status_code == 403
    # Naming the other side's team does not help either.
    own = next(c for c in league.companies if c.id == duel.home_company)
    other_team = app_client.post(
        f"/api/duels/{duel.id}/videos",
        json={"url": "https://youtu.be/dQw4w9WgXcQ", "team_id": duel.away},
        headers=own.auth,
    )
    assert other_team.status_code == 403
    assert other_team.json()["detail"]["code"] == "not_your_duel"
    assert media_files(video_settings) == []
    unknown = upload(app_client, own, "dnope234", clips.valid)
    assert unknown["status"] == 404


def test_submissions_close_at_the_deadline(
    app_client: TestClient, league: League, clips: Clips, host_headers: dict[str, str]
) -> None:
    company = league.companies[0]
    did = league.duel_of(company).id
    path = f"/api/duels/{did}/deadline"
    assert app_client.post(path, json={"submit_until": time.time() - 1}).status_code == 401
    set_past = app_client.post(path, json={"submit_until": time.time() - 1}, headers=host_headers)
    assert set_past.status_code == 200, set_past.text
    late = upload(app_client, company, did, clips.valid)
    assert late["status"] == 409
    assert code(late) == "deadline_passed"
    late_link = app_client.post(
        f"/api/duels/{did}/videos",
        json={"url": "https://youtu.be/dQw4w9WgXcQ"},
        headers=company.auth,
    )
    assert late_link.status_code == 409
    later = time.time() + 3600
    assert app_client.post(path, json={"submit_until": later}, headers=host_headers).json() == {
        "id": did,
        "submit_until": later,
    }
    assert upload(app_client, company, did, clips.valid)["status"] == 202


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("video.mp4", zip_bytes()),
        ("video.mp4", b"<!doctype html><html><script>alert(1)</script></html>" * 20),
        ("video.mov", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00" + b"\x00" * 200),
        ("video.webm", b""),
        ("video.mp4", b"\x00\x00"),
    ],
    ids=["zip", "html", "heic-photo", "empty", "tiny"],
)
def test_a_file_that_is_no_video_is_415_and_leaves_nothing(
    app_client: TestClient, league: League, video_settings: Settings, filename: str, data: bytes
) -> None:
    company = league.companies[0]
    answer = upload(app_client, company, league.duel_of(company).id, data, filename)
    assert answer["status"] == 415, answer
    assert code(answer) == "not_a_video"
    assert media_files(video_settings) == []


def multipart(boundary: str, data: bytes, chunk: int = 4096) -> Iterator[bytes]:
    yield (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    for start in range(0, len(data), chunk):
        yield data[start : start + chunk]
    yield f"\r\n--{boundary}--\r\n".encode()


@pytest.fixture
def small_limit_client(video_settings: Settings, clips: Clips) -> Iterator[TestClient]:
    limited = video_settings.model_copy(update={"max_upload_bytes": len(clips.valid) + 512})
    with TestClient(create_app(limited)) as client:
        yield client


def test_an_oversized_upload_is_413_and_keeps_the_previous_video(
    small_limit_client: TestClient,
    host_headers: dict[str, str],
    redis_client: redis.Redis,
    clips: Clips,
    video_settings: Settings,
) -> None:
    client = small_limit_client
    league = make_league(client, host_headers, redis_client)
    company = league.companies[0]
    duel = league.duel_of(company)
    team = league.team_of(company)
    good = upload(client, company, duel.id, clips.valid)
    assert good["status"] == 202
    good_file = good["body"]["file"]
    oversized = clips.valid + b"\x00" * (3 * len(clips.valid))

    # Refused by Content-Length before a byte is read ...
    early = upload(client, company, duel.id, oversized)
    assert early["status"] == 413
    assert code(early) == "too_large"
    # ... and, without Content-Length (chunked), while streaming.
    boundary = "----machmal-test-boundary"
    streamed = client.post(
        f"/api/duels/{duel.id}/videos",
        content=multipart(boundary, oversized),
        headers={**company.auth, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert streamed.status_code == 413, streamed.text
    assert streamed.json()["detail"]["code"] == "too_large"

    record = videos.get_video(redis_client, duel.id, team)
    assert record is not None and record.file == good_file
    assert media_files(video_settings) == [good_file]  # no temp file, no half file
    assert (video_settings.data_dir / "media" / good_file).read_bytes() == clips.valid

    # Exactly at the limit streams through fine.
    fits = client.post(
        f"/api/duels/{duel.id}/videos",
        content=multipart(boundary, clips.valid + b"\x00" * 512),
        headers={**company.auth, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert fits.status_code == 202, fits.text


def test_an_aborted_upload_leaves_no_file(
    app_client: TestClient, league: League, clips: Clips, video_settings: Settings
) -> None:
    company = league.companies[0]
    did = league.duel_of(company).id
    boundary = "----machmal-cut"
    cut = b"".join(multipart(boundary, clips.valid))[:-40]  # the closing boundary never comes
    response = app_client.post(
        f"/api/duels/{did}/videos",
        content=cut,
        headers={**company.auth, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert response.status_code == 422
    assert response.json()["detail"]["code"] == "incomplete_upload"
    assert media_files(video_settings) == []


def test_bad_request_shapes_get_stable_codes(
    app_client: TestClient, league: League, clips: Clips
) -> None:
    company = league.companies[0]
    did = league.duel_of(company).id
    path = f"/api/duels/{did}/videos"

    def answer(**kwargs: object) -> tuple[int, str]:
        response = app_client.post(
            path, headers={**company.auth, **kwargs.pop("headers", {})}, **kwargs
        )  # type: ignore[arg-type]
        return response.status_code, response.json()["detail"]["code"]

    assert answer(content=b"hello", headers={"Content-Type": "text/plain"}) == (
        415,
        "unsupported_content_type",
    )
    assert answer(json=["https://youtu.be/dQw4w9WgXcQ"]) == (422, "invalid_body")
    assert answer(json={"url": 5}) == (422, "invalid_body")
    assert answer(json={}) == (422, "url_required")
    assert answer(json={"url": "http://youtu.be/dQw4w9WgXcQ"}) == (422, "https_required")
    assert answer(json={"url": "https://vimeo.com/123"}) == (422, "link_host_not_allowed")
    assert answer(json={"url": "https://youtu.be/" + "x" * 20_000}) == (413, "too_large")
    assert answer(data={"team_id": "x"}, files={"other": ("a.txt", b"x")}) == (422, "file_required")
    assert answer(
        content=b"garbage", headers={"Content-Type": "multipart/form-data; boundary=zzz"}
    ) == (422, "malformed_upload")
    assert answer(content=b"x", headers={"Content-Type": "multipart/form-data"}) == (
        422,
        "malformed_upload",
    )
    two_files = answer(files=[("file", ("a.mp4", clips.valid)), ("file", ("b.mp4", clips.valid))])
    assert two_files == (422, "one_file_only")


def test_a_new_submission_replaces_the_old_files(
    app_client: TestClient, league: League, clips: Clips, video_settings: Settings
) -> None:
    company = league.companies[0]
    did = league.duel_of(company).id
    first = upload(app_client, company, did, clips.valid)["body"]["file"]
    second = upload(app_client, company, did, clips.webm, "clip.webm", "video/webm")["body"]
    assert second["content_type"] == "video/webm"
    assert second["file"].endswith(".webm")
    assert media_files(video_settings) == [second["file"]]
    assert first != second["file"]
    link = app_client.post(
        f"/api/duels/{did}/videos",
        json={"url": "https://www.tiktok.com/@azubis/video/7301234567890123456?lang=de"},
        headers=company.auth,
    )
    assert link.status_code == 201
    assert media_files(video_settings) == []


def test_voting_opens_only_with_both_videos_approved_or_by_walkover(
    app_client: TestClient, league: League, host_headers: dict[str, str], redis_client: redis.Redis
) -> None:
    first, second = league.duels
    home = next(c for c in league.companies if c.id == first.home_company)
    away = next(c for c in league.companies if c.id == first.away_company)

    def host(path: str, body: object = None) -> tuple[int, dict]:  # type: ignore[type-arg]
        response = app_client.post(path, json=body, headers=host_headers)
        return response.status_code, response.json()

    status, body = host(f"/api/duels/{first.id}/open")
    assert (status, body["detail"]["code"]) == (409, "videos_not_approved")
    for company, url in ((home, "https://youtu.be/dQw4w9WgXcQ"),
                         (away, "https://www.instagram.com/reel/C3abcDEF12/?igsh=x")):  # fmt: skip
        answer = app_client.post(
            f"/api/duels/{first.id}/videos", json={"url": url}, headers=company.auth
        )
        assert answer.status_code == 201
    status, body = host(f"/api/duels/{first.id}/videos/{first.home}/approve")
    assert (status, body["status"]) == (200, "approved")
    assert host(f"/api/duels/{first.id}/open")[0] == 409
    assert host(f"/api/duels/{first.id}/videos/{first.away}/reject", {"reason": ""})[0] == 422
    status, body = host(
        f"/api/duels/{first.id}/videos/{first.away}/reject", {"reason": "Ton fehlt"}
    )
    assert (status, body["status"], body["reason"]) == (200, "rejected", "Ton fehlt")
    status, body = host(f"/api/duels/{first.id}/videos/{first.away}/approve")
    assert (status, body["detail"]["code"]) == (409, "video_not_ready")
    relinked = app_client.post(
        f"/api/duels/{first.id}/videos",
        json={"url": "https://www.instagram.com/p/C3abcDEF99/"},
        headers=away.auth,
    )
    assert relinked.status_code == 201
    assert host(f"/api/duels/{first.id}/videos/{first.away}/approve")[0] == 200
    status, body = host(f"/api/duels/{first.id}/open")
    assert (status, body["status"]) == (200, "voting")

    record = redis_client.hgetall(keys.duel(first.id))
    assert record["home_video_link"] == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert record["away_video_link"] == "https://www.instagram.com/p/C3abcDEF99/"
    assert record["home_video"] == ""  # a link-out has no file to play

    # Once voting runs, the company can no longer swap its video.
    late = app_client.post(
        f"/api/duels/{first.id}/videos",
        json={"url": "https://youtu.be/dQw4w9WgXcQ"},
        headers=home.auth,
    )
    assert (late.status_code, late.json()["detail"]["code"]) == (409, "voting_started")

    # The other duel has no videos: a walkover decides it instead.
    assert host(f"/api/duels/{second.id}/open")[0] == 409
    status, body = host(
        f"/api/duels/{second.id}/walkover", {"winner": second.home, "reason": "kein Video"}
    )
    assert (status, body["status"]) == (200, "decided")

    actions = [fields["what"] for _, fields in redis_client.xrange(keys.audit(league.cid))]
    assert actions.count("approve_video") == 2
    assert actions.count("reject_video") == 1


def test_the_host_lists_submissions_per_round(
    app_client: TestClient, league: League, clips: Clips, host_headers: dict[str, str]
) -> None:
    company = league.companies[0]
    duel = league.duel_of(company)
    upload(app_client, company, duel.id, clips.valid)
    path = f"/api/competitions/{league.cid}/videos"
    assert app_client.get(path).status_code == 401
    rows = app_client.get(path, params={"round": 1}, headers=host_headers).json()
    assert len(rows) == 4
    mine = next(row for row in rows if row["team"] == league.team_of(company))
    assert mine["status"] == "uploaded"
    assert mine["kind"] == "upload"
    assert mine["company"] == company.id
    assert mine["company_name"] == company.name
    assert mine["url"].startswith("/media/")
    assert {row["status"] for row in rows if row is not mine} == {"missing"}
    assert app_client.get(path, params={"round": 2}, headers=host_headers).json() == []
    assert app_client.get("/api/competitions/cnope/videos", headers=host_headers).status_code == 404


def test_media_is_served_with_ranges_only_when_ready(
    app_client: TestClient, league: League, clips: Clips, redis_client: redis.Redis
) -> None:
    company = league.companies[0]
    duel = league.duel_of(company)
    team = league.team_of(company)
    name = upload(app_client, company, duel.id, clips.valid)["body"]["file"]
    assert app_client.get(f"/media/{name}").status_code == 404  # not probed yet

    # What the media worker does after a good probe (the worker itself: test_processing).
    assert videos.start_processing(redis_client, duel.id, team, name) is not None
    assert videos.finish_processing(
        redis_client, duel.id, team, name, poster="", duration=2.0, width=320, height=240,
        codec="h264",
    )  # fmt: skip
    whole = app_client.get(f"/media/{name}")
    assert whole.status_code == 200
    assert whole.headers["content-type"] == "video/mp4"
    assert whole.content == clips.valid
    part = app_client.get(f"/media/{name}", headers={"Range": "bytes=0-99"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 0-99/{len(clips.valid)}"
    assert part.content == clips.valid[:100]
    tail = app_client.get(f"/media/{name}", headers={"Range": "bytes=-10"})
    assert tail.status_code == 206
    assert tail.content == clips.valid[-10:]

    for bad in ("..%2F..%2Fsecrets.json", "secrets.json", f"..{name}", name.replace("-", "/", 1),
                f"{name}.part", ".%2E"):  # fmt: skip
        assert app_client.get(f"/media/{bad}").status_code == 404, bad

    videos.reject(redis_client, duel.id, team, "Bitte ohne Logo")
    assert app_client.get(f"/media/{name}").status_code == 404
