"""The host console: login, CSRF-protected forms, the whole round from a browser's view."""

from __future__ import annotations

import csv
import io
import re

import pytest
import redis
from starlette.testclient import TestClient

from duels import store
from duels.settings import Settings
from tests.accounts import OWNER_EMAIL, PASSWORD, account, log_in, log_in_form
from tests.host.helpers import Host, record_official_counts
from web.app import create_app


def test_console_pages_need_a_login(client: TestClient) -> None:
    for path in ("/host", "/host/c/cX", "/host/c/cX/results.csv", "/host/c/cX/posters"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/host/login"


def test_session_cookie_is_httponly_and_samesite(client: TestClient) -> None:
    account(client.app.state.store)  # type: ignore[attr-defined]
    response = log_in_form(client)
    cookie = response.headers["set-cookie"]
    assert "mm_host=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()


def test_guessing_a_password_is_throttled(client: TestClient) -> None:
    account(client.app.state.store)  # type: ignore[attr-defined]
    statuses = [log_in_form(client, password=f"guess-{n}-xxxxxxx").status_code for n in range(7)]
    assert statuses[:5] == [403] * 5
    assert statuses[5:] == [429, 429]
    right = log_in_form(client)
    assert right.status_code == 429  # even the right password waits out the window
    assert int(right.headers["retry-after"]) > 0


def test_forms_without_the_csrf_token_change_nothing(
    client: TestClient, redis_client: redis.Redis
) -> None:
    log_in(client)
    response = client.post("/host/competitions", data={"title": "Gefälscht", "csrf": "0" * 64})
    assert "error=csrf_failed" in str(response.url)
    assert redis_client.scard("mm:competitions") == 0


def test_login_form_without_csrf_is_refused(client: TestClient) -> None:
    account(client.app.state.store)  # type: ignore[attr-defined]
    client.get("/host/login")
    form = {"email": OWNER_EMAIL, "password": PASSWORD, "csrf": "forged"}
    response = client.post("/host/login", data=form)
    assert response.status_code == 403
    assert "mm_host" not in response.cookies


def test_a_host_runs_a_round_from_the_console(
    client: TestClient, redis_client: redis.Redis
) -> None:
    csrf = log_in(client)
    page = client.post("/host/competitions", data={"title": "Herbst-Duell", "csrf": csrf})
    cid = re.search(r"/host/c/([a-z0-9]+)", str(page.url)).group(1)  # type: ignore[union-attr]
    for n in range(4):
        page = client.post(
            f"/host/c/{cid}/companies", data={"name": f"<b>Firma {n}</b>", "csrf": csrf}
        )
        assert "/company/" in page.text  # the invite link is shown once
        assert "&lt;b&gt;Firma" in page.text and "<b>Firma" not in page.text
    companies = store.list_companies(redis_client, cid)
    for n, company in enumerate(companies):
        client.post(
            f"/host/c/{cid}/teams",
            data={"company_id": company.id, "name": f"Team {n}", "trade": "Koch/Köchin",
                  "members": "Lena, Murat", "csrf": csrf},
        )  # fmt: skip
    page = client.post(
        f"/host/c/{cid}/draw",
        data={"format": "single_elimination", "seeding": "random", "seed": "42", "csrf": csrf},
    )
    assert "Startwert 42" in page.text
    duels = [d for d in store.duels_of_competition(redis_client, cid) if d.round == 1]
    assert len(duels) == 2
    for duel in duels:
        client.post(f"/host/duels/{duel.id}/open", data={"csrf": csrf})
        record_official_counts(redis_client, duel.id, {duel.home: 3, duel.away: 3})
        client.post(f"/host/duels/{duel.id}/close", data={"csrf": csrf})
    confirm = client.get(f"/host/c/{cid}/advance")
    assert confirm.status_code == 200
    assert confirm.text.count("Gleichstand!") == 2  # 3:3 ties, decided by the tie-break chain
    page = client.post(f"/host/c/{cid}/advance", data={"round": "1", "csrf": csrf})
    assert "Nächste Runde gestartet." in page.text
    again = client.post(f"/host/c/{cid}/advance", data={"round": "1", "csrf": csrf})
    assert "error=round_changed" in str(again.url)

    exported = client.get(f"/host/c/{cid}/results.csv")
    assert exported.headers["content-disposition"].startswith("attachment")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(rows) == 3
    decided = [row for row in rows if row["round"] == "1"]
    assert all(row["home_votes"] == "3" and row["winner"] for row in decided)
    as_json = client.get(f"/host/c/{cid}/results.json").json()
    assert {row["decided_by"] for row in as_json if row["round"] == 1} <= {
        "jury", "fewer_quarantined", "draw"
    }  # fmt: skip


@pytest.mark.parametrize("lang", ["de", "en"])
def test_console_speaks_german_and_english(client: TestClient, lang: str) -> None:
    page = client.get(f"/host/login?lang={lang}").text
    assert ("Anmelden" if lang == "de" else "Organiser login") in page
    assert ("Passwort" if lang == "de" else "Password") in page
    assert 'for="email"' in page and 'for="password"' in page  # the fields have labels


def test_host_approves_linked_videos_then_opens_and_reviews_quarantine(
    settings: Settings, redis_client: redis.Redis, host_headers: dict[str, str]
) -> None:
    strict = settings.model_copy(update={"require_approved_videos": True})
    with TestClient(create_app(strict)) as client:
        host = Host(client, host_headers)
        cid = host.post("/api/competitions", {"title": "Video-Cup"}, 201)["id"]
        companies = [
            host.post(f"/api/competitions/{cid}/companies", {"name": f"F{n}"}, 201)
            for n in range(2)
        ]
        for n, company in enumerate(companies):
            host.post(
                f"/api/competitions/{cid}/teams",
                {"company_id": company["id"], "name": f"T{n}", "trade": "Koch/Köchin"}, 201,
            )  # fmt: skip
        duel = host.post(f"/api/competitions/{cid}/bracket", {"seed": 1}, 201)["rounds"][0][
            "duels"
        ][0]
        csrf = log_in(client)
        refused = client.post(f"/host/duels/{duel['id']}/open", data={"csrf": csrf})
        assert "error=videos_not_approved" in str(refused.url)
        for company in companies:
            answer = client.post(
                f"/api/duels/{duel['id']}/videos",
                json={"url": "https://youtu.be/dQw4w9WgXcQ"},
                headers={"Authorization": f"Bearer {company['invite_token']}"},
            )
            assert answer.status_code == 201, answer.text
        page = client.get(f"/host/c/{cid}").text
        assert page.count('data-action="approve-video"') == 2
        for side in ("home", "away"):
            done = client.post(
                f"/host/duels/{duel['id']}/videos/{duel[side]['id']}/approve", data={"csrf": csrf}
            )
            assert "Video freigegeben." in done.text
        opened = client.post(f"/host/duels/{duel['id']}/open", data={"csrf": csrf})
        assert "Abstimmung geöffnet." in opened.text
        assert store.get_duel(redis_client, duel["id"]).status == "voting"
        quarantine = client.get(f"/host/duels/{duel['id']}/quarantine")
        assert quarantine.status_code == 200
        assert "Keine verdächtigen Stimmen." in quarantine.text
