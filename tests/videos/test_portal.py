"""The company portal reached by the invite link: page, forms, CSRF, invite rotation."""

from __future__ import annotations

import re

import redis
from starlette.testclient import TestClient

from duels import videos
from duels.settings import Settings
from tests.videos.conftest import Clips, make_league, media_files, zip_bytes

EVIL = '<script>alert("x")</script> & Co'


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found, "the form carries a CSRF token"
    return found.group(1)


def test_the_portal_shows_the_companys_duels_and_escapes_names(
    app_client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis
) -> None:
    league = make_league(
        app_client, host_headers, redis_client, (EVIL, "Hobelbande", "Kochlöffel", "Kabelsalat")
    )
    duel = next(d for d in league.duels if EVIL in (d.home_name, d.away_name))
    company = next(
        c for c in league.companies if c.id in (duel.home_company, duel.away_company)
        and league.team_of(c) in (duel.home if duel.home_name == EVIL else duel.away,)
    )  # fmt: skip
    opponent = duel.away_name if duel.home_name == EVIL else duel.home_name
    others = {d.home_name for d in league.duels if d.id != duel.id} | {
        d.away_name for d in league.duels if d.id != duel.id
    }

    page = app_client.get(f"/company/{company.token}")
    assert page.status_code == 200
    html = page.text
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in html
    assert opponent in html
    assert all(name not in html for name in others)
    assert f'id="duel-{duel.id}"' in html
    assert "noch nicht eingereicht" in html
    assert f'action="/company/{company.token}/upload/{duel.id}"' in html
    assert 'enctype="multipart/form-data"' in html
    assert '<progress class="upload-progress"' in html
    # Nothing third-party: our own script only, no inline script, no foreign hosts.
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/portal.js" defer>']
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert page.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert app_client.get("/static/portal.js").status_code == 200

    english = app_client.get(f"/company/{company.token}?lang=en")
    assert "not submitted yet" in english.text


def test_an_unknown_or_rotated_invite_stops_working(
    app_client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis
) -> None:
    league = make_league(app_client, host_headers, redis_client)
    company = league.companies[0]
    assert app_client.get("/company/not-a-token").status_code == 404
    old = company.token
    path = f"/api/competitions/{league.cid}/companies/{company.id}/invite"
    assert app_client.post(path).status_code == 401
    rotated = app_client.post(path, headers=host_headers)
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["invite_token"]
    assert rotated.json()["invite_url"] == f"http://testserver/company/{new}"
    assert new != old
    gone = app_client.get(f"/company/{old}")
    assert gone.status_code == 404
    assert "ungültig" in gone.text
    assert app_client.get(f"/company/{new}").status_code == 200
    did = league.duel_of(company).id
    stale = app_client.post(
        f"/api/duels/{did}/videos",
        json={"url": "https://youtu.be/dQw4w9WgXcQ"},
        headers={"Authorization": f"Bearer {old}"},
    )
    assert stale.status_code == 403


def test_the_portal_forms_work_without_javascript_and_need_the_csrf_token(
    app_client: TestClient,
    host_headers: dict[str, str],
    redis_client: redis.Redis,
    clips: Clips,
    video_settings: Settings,
) -> None:
    league = make_league(app_client, host_headers, redis_client)
    company = league.companies[0]
    duel = league.duel_of(company)
    team = league.team_of(company)
    token = app_client.get(f"/company/{company.token}").text
    csrf = csrf_of(token)
    action = f"/company/{company.token}/upload/{duel.id}"

    forged = app_client.post(
        action, data={"team_id": team}, files={"file": ("a.mp4", clips.valid)},
        follow_redirects=False,
    )  # fmt: skip
    assert forged.status_code == 403
    assert "Formular ist abgelaufen" in forged.text
    wrong = app_client.post(
        action, data={"csrf": "0" * 40, "url": "https://youtu.be/dQw4w9WgXcQ"},
        follow_redirects=False,
    )  # fmt: skip
    assert wrong.status_code == 403
    assert media_files(video_settings) == []
    assert videos.get_video(redis_client, duel.id, team) is None

    sent = app_client.post(
        action, data={"csrf": csrf, "team_id": team}, files={"file": ("a.mp4", clips.valid)},
        follow_redirects=False,
    )  # fmt: skip
    assert sent.status_code == 303
    assert sent.headers["location"] == f"/company/{company.token}?sent=upload#duel-{duel.id}"
    page = app_client.get(sent.headers["location"]).text
    assert "Das Video ist angekommen" in page
    assert "hochgeladen, wartet auf Verarbeitung" in page
    assert 'data-refresh="5"' in page

    # The script's request: same form, JSON answer with the upload status.
    scripted = app_client.post(
        action, data={"csrf": csrf, "team_id": team}, files={"file": ("b.mp4", clips.valid)},
        headers={"Accept": "application/json"},
    )  # fmt: skip
    assert scripted.status_code == 202
    assert scripted.json()["status"] == "uploaded"

    not_video = app_client.post(
        action, data={"csrf": csrf, "team_id": team}, files={"file": ("x.mp4", zip_bytes())},
        headers={"Accept": "application/json"},
    )  # fmt: skip
    assert not_video.status_code == 415
    assert not_video.json()["detail"] == {
        "code": "not_a_video",
        "message": "Das ist keine Videodatei (MP4, MOV oder WebM).",
    }
    rendered = app_client.post(
        action, data={"csrf": csrf, "team_id": team}, files={"file": ("x.mp4", zip_bytes())},
    )  # fmt: skip
    assert rendered.status_code == 415
    assert "keine Videodatei" in rendered.text

    link = app_client.post(
        action, data={"csrf": csrf, "team_id": team, "url": "https://youtu.be/dQw4w9WgXcQ?si=1"},
        follow_redirects=False,
    )  # fmt: skip
    assert link.status_code == 303
    page = app_client.get(f"/company/{company.token}").text
    assert 'href="https://www.youtube.com/watch?v=dQw4w9WgXcQ"' in page
    assert "bereit, wartet auf Freigabe" in page

    reason = "Bitte <b>ohne</b> Firmenlogo"
    rejected = app_client.post(
        f"/api/duels/{duel.id}/videos/{team}/reject", json={"reason": reason}, headers=host_headers
    )
    assert rejected.status_code == 200
    page = app_client.get(f"/company/{company.token}").text
    assert "abgelehnt" in page
    assert "Bitte &lt;b&gt;ohne&lt;/b&gt; Firmenlogo" in page

    other_duel = next(d for d in league.duels if d.id != duel.id)
    foreign = app_client.post(
        f"/company/{company.token}/upload/{other_duel.id}",
        data={"csrf": csrf, "url": "https://youtu.be/dQw4w9WgXcQ"},
    )
    assert foreign.status_code == 403
    assert "gehört nicht zu eurer Firma" in foreign.text
