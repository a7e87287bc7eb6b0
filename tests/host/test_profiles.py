"""Hosts edit and moderate the companies' profiles and places and write the trades' texts
(#19): the host API and the console page /host/c/{cid}/ausbildung."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from starlette.testclient import TestClient

from duels import apprenticeships, organisations
from duels.access import Role
from tests.accounts import account, csrf_of, log_in, log_in_form
from tests.host.helpers import Host

EVIL = '<script>alert("x")</script> & "Co"'
EVIL_ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;Co&#34;"


@pytest.fixture
def cup(client: TestClient, host_headers: dict[str, str]) -> tuple[str, list[str]]:
    host = Host(client, host_headers)
    cid, teams = host.competition(4, companies=2)
    return cid, sorted({team["company_id"] for team in teams})


def _place(**fields: Any) -> dict[str, Any]:
    return {
        "trade": "Tischler/in",
        "starts": "2027-08",
        "apply_url": "https://firma.de/jobs",
        **fields,
    }


def test_hosts_edit_profiles_and_places_through_the_api(
    client: TestClient, host_headers: dict[str, str], cup: tuple[str, list[str]]
) -> None:
    cid, (first, second) = cup
    base = f"/api/competitions/{cid}/companies/{first}"
    saved = client.put(
        f"{base}/profile", json={"about": "Holz.", "website": "www.Firma.de"}, headers=host_headers
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["website"] == "https://www.firma.de/"
    assert saved.json()["name"] in ("Firma 0", "Firma 1")
    bad = client.put(f"{base}/profile", json={"website": "http://x.de"}, headers=host_headers)
    assert bad.status_code == 422
    assert bad.json()["detail"]["code"] == "invalid_link"

    place = client.post(f"{base}/places", json=_place(), headers=host_headers)
    assert place.status_code == 201, place.text
    pid = place.json()["id"]
    assert (
        client.put(f"{base}/places/{pid}", json={"count": 4}, headers=host_headers).json()["count"]
        == 4
    )
    refused = client.put(f"{base}/places/{pid}", json={"count": 0}, headers=host_headers)
    assert refused.json()["detail"]["code"] == "invalid_count"
    # The place belongs to the first company: under the second one it does not exist.
    other = f"/api/competitions/{cid}/companies/{second}/places/{pid}"
    assert client.delete(other, headers=host_headers).status_code == 404

    listed = client.get(f"/api/competitions/{cid}/profiles", headers=host_headers).json()
    assert {row["company_id"] for row in listed} == {first, second}
    mine = next(row for row in listed if row["company_id"] == first)
    assert [p["count"] for p in mine["places"]] == [4]
    assert client.delete(f"{base}/places/{pid}", headers=host_headers).status_code == 204
    assert client.get(f"/api/competitions/{cid}/profiles").status_code == 401
    unknown = client.put(
        f"/api/competitions/{cid}/companies/nope/profile", json={}, headers=host_headers
    )
    assert unknown.status_code == 404


def test_a_hidden_profile_leaves_the_open_places_and_comes_back(
    client: TestClient,
    host_headers: dict[str, str],
    redis_client: redis.Redis,
    cup: tuple[str, list[str]],
) -> None:
    cid, (first, _) = cup
    base = f"/api/competitions/{cid}/companies/{first}"
    pid = client.post(f"{base}/places", json=_place(), headers=host_headers).json()["id"]
    assert [p.id for p, _ in apprenticeships.open_places(redis_client, cid)] == [pid]

    no_reason = client.post(f"{base}/profile/hide", json={"hidden": True}, headers=host_headers)
    assert no_reason.status_code == 422
    assert no_reason.json()["detail"]["code"] == "reason_required"
    hidden = client.post(
        f"{base}/profile/hide",
        json={"hidden": True, "reason": "Falscher Link"},
        headers=host_headers,
    )
    assert hidden.status_code == 200, hidden.text
    assert hidden.json()["hidden"] is True
    assert apprenticeships.open_places(redis_client, cid) == []
    # Hosts still see it; the company is told in its portal.
    listed = client.get(f"/api/competitions/{cid}/profiles", headers=host_headers).json()
    assert next(r for r in listed if r["company_id"] == first)["hidden_reason"] == "Falscher Link"
    token = client.post(f"{base}/invite", headers=host_headers).json()["invite_token"]
    portal = client.get(f"/company/{token}").text
    assert "Euer Profil ist zurzeit ausgeblendet" in portal
    assert "Falscher Link" in portal

    shown = client.post(f"{base}/profile/hide", json={"hidden": False}, headers=host_headers)
    assert shown.json()["hidden"] is False
    assert [p.id for p, _ in apprenticeships.open_places(redis_client, cid)] == [pid]
    assert "zurzeit ausgeblendet" not in client.get(f"/company/{token}").text


def test_hiding_needs_the_moderate_permission(
    client: TestClient, redis_client: redis.Redis, cup: tuple[str, list[str]]
) -> None:
    from duels import api_keys

    cid, (first, _) = cup
    keys_of = {}
    for role in (Role.HOST, Role.MODERATOR):
        user = account(
            redis_client, f"{role.value}@example.org", role, scope=f"o:{organisations.DEFAULT}"
        )
        _, secret = api_keys.create(redis_client, user.id, "t", role)
        keys_of[role] = {"Authorization": f"Bearer {secret}"}
    hide = f"/api/competitions/{cid}/companies/{first}/profile/hide"
    body = {"hidden": True, "reason": "Spam"}
    assert client.post(hide, json=body, headers=keys_of[Role.HOST]).status_code == 403
    assert client.post(hide, json=body, headers=keys_of[Role.MODERATOR]).status_code == 200
    edit = f"/api/competitions/{cid}/companies/{first}/profile"
    assert client.put(edit, json={}, headers=keys_of[Role.MODERATOR]).status_code == 403
    assert client.put(edit, json={}, headers=keys_of[Role.HOST]).status_code == 200


def test_trade_texts_are_saved_and_validated(
    client: TestClient, host_headers: dict[str, str], cup: tuple[str, list[str]]
) -> None:
    cid, _ = cup
    listed = client.get(f"/api/competitions/{cid}/trades", headers=host_headers).json()
    assert {t["slug"] for t in listed} >= {"tischler-in", "baecker-in"}
    path = f"/api/competitions/{cid}/trades/tischler-in"
    saved = client.put(
        path,
        json={"about_de": "Tischler  bauen Möbel.", "about_en": "Joiners."},
        headers=host_headers,
    )
    assert saved.status_code == 200, saved.text
    assert saved.json() == {
        "slug": "tischler-in",
        "name": "Tischler/in",
        "about_de": "Tischler bauen Möbel.",
        "about_en": "Joiners.",
    }
    for body, code in [
        ({"about_de": "x" * 601}, "too_long"),
        ({"about_de": "a\u0000b"}, "invalid_text"),
    ]:
        refused = client.put(path, json=body, headers=host_headers)
        assert refused.status_code == 422
        assert refused.json()["detail"]["code"] == code
    unknown = client.put(
        f"/api/competitions/{cid}/trades/astronaut-in", json={}, headers=host_headers
    )
    assert unknown.status_code == 404
    assert unknown.json()["detail"]["code"] == "unknown_trade"
    again = client.get(f"/api/competitions/{cid}/trades", headers=host_headers).json()
    assert next(t for t in again if t["slug"] == "tischler-in")["about_en"] == "Joiners."


# Console ------------------------------------------------------------------------------


def test_the_console_page_edits_hides_and_describes(
    client: TestClient,
    host_headers: dict[str, str],
    redis_client: redis.Redis,
    cup: tuple[str, list[str]],
) -> None:
    cid, (first, second) = cup
    log_in(client)
    competition = client.get(f"/host/c/{cid}")
    assert f'href="/host/c/{cid}/ausbildung"' in competition.text
    page = client.get(f"/host/c/{cid}/ausbildung")
    assert page.status_code == 200
    assert "Ausbildung – Testcup" in page.text
    assert f'id="company-{first}"' in page.text and f'id="company-{second}"' in page.text
    csrf = csrf_of(page.text)
    base = f"/host/c/{cid}/ausbildung/{first}"

    forged = client.post(
        f"{base}/profile", data={"csrf": "0" * 40, "about": "x"}, follow_redirects=False
    )
    assert "error=csrf_failed" in forged.headers["location"]
    bad = client.post(f"{base}/profile", data={"csrf": csrf, "website": "javascript:alert(1)"})
    assert "Links müssen mit https:// beginnen." in bad.text
    saved = client.post(
        f"{base}/profile",
        data={"csrf": csrf, "about": "Holz.", "location": "Kiel", "website": "firma.de"},
    )
    assert "Das Profil ist gespeichert." in saved.text
    assert 'value="https://firma.de/"' in saved.text

    bad_place = client.post(f"{base}/places", data={"csrf": csrf, **_place(), "starts": "13/27"})
    assert "Der Beginn ist ein Monat" in bad_place.text
    added = client.post(f"{base}/places", data={"csrf": csrf, **_place(), "count": "2"})
    assert "Der Ausbildungsplatz ist eingetragen." in added.text
    pid = apprenticeships.get_profile(redis_client, cid, first).places[0].id
    edited = client.post(
        f"{base}/places/{pid}",
        data={"csrf": csrf, **_place(apply_url="", apply_email="a@firma.de")},
    )
    assert "Der Ausbildungsplatz ist gespeichert." in edited.text
    assert apprenticeships.get_profile(redis_client, cid, first).places[0].apply_email == (
        "a@firma.de"
    )

    no_reason = client.post(f"{base}/hide", data={"csrf": csrf, "hidden": "1"})
    assert "Bitte gebt einen Grund an." in no_reason.text
    hidden = client.post(f"{base}/hide", data={"csrf": csrf, "hidden": "1", "reason": "Spam"})
    assert "Das Profil ist ausgeblendet." in hidden.text
    assert "ausgeblendet</span>" in hidden.text
    assert apprenticeships.open_places(redis_client, cid) == []
    shown = client.post(f"{base}/hide", data={"csrf": csrf, "hidden": "0"})
    assert "Das Profil ist wieder sichtbar." in shown.text
    assert len(apprenticeships.open_places(redis_client, cid)) == 1

    described = client.post(
        f"/host/c/{cid}/berufe/koch-koechin",
        data={"csrf": csrf, "about_de": "Kochen.", "about_en": "Cooking."},
    )
    assert "Der Text zum Beruf ist gespeichert." in described.text
    assert ">Cooking.</textarea>" in described.text
    too_long = client.post(
        f"/host/c/{cid}/berufe/koch-koechin", data={"csrf": csrf, "about_de": "x" * 601}
    )
    assert "Der Text ist zu lang." in too_long.text

    removed = client.post(f"{base}/places/{pid}/remove", data={"csrf": csrf})
    assert "Der Ausbildungsplatz ist entfernt." in removed.text
    assert apprenticeships.get_profile(redis_client, cid, first).places == ()

    english = client.get(f"/host/c/{cid}/ausbildung?lang=en&error=invalid_link")
    assert "Apprenticeships – Testcup" in english.text
    assert "Links must start with https://." in english.text
    assert "Trades" in english.text


def test_the_console_escapes_company_texts(
    client: TestClient, host_headers: dict[str, str], cup: tuple[str, list[str]]
) -> None:
    cid, _ = cup
    host = Host(client, host_headers)
    evil_company = host.post(f"/api/competitions/{cid}/companies", {"name": EVIL}, 201)["id"]
    host.post(
        f"/api/competitions/{cid}/teams",
        {"company_id": evil_company, "name": "T", "trade": EVIL},
        201,
    )
    base = f"/api/competitions/{cid}/companies/{evil_company}"
    client.put(f"{base}/profile", json={"about": EVIL, "location": EVIL}, headers=host_headers)
    client.post(f"{base}/places", json=_place(trade=EVIL), headers=host_headers)
    client.post(f"{base}/profile/hide", json={"hidden": True, "reason": EVIL}, headers=host_headers)
    log_in(client)
    html = client.get(f"/host/c/{cid}/ausbildung").text
    assert "<script>alert" not in html
    assert EVIL_ESCAPED in html
    assert f'<h2 id="company-{evil_company}-title">{EVIL_ESCAPED}' in html


def test_a_viewer_reads_but_gets_no_forms(
    client: TestClient, host_headers: dict[str, str], cup: tuple[str, list[str]]
) -> None:
    cid, (first, _) = cup
    account(client.app.state.store, "viewer@example.org", Role.VIEWER)  # type: ignore[attr-defined]
    assert log_in_form(client, "viewer@example.org").status_code == 303
    page = client.get(f"/host/c/{cid}/ausbildung")
    assert page.status_code == 200
    assert 'data-action="save-profile"' not in page.text
    assert 'data-action="hide-profile"' not in page.text
    csrf = csrf_of(page.text)
    refused = client.post(
        f"/host/c/{cid}/ausbildung/{first}/profile",
        data={"csrf": csrf, "about": "x"},
        follow_redirects=False,
    )
    assert refused.status_code == 403
