"""A company maintains its profile and open apprenticeship places in its portal (#19): the
JSON API under /api/portal (its invite token), the portal's forms (CSRF), the logo, and that
a company reaches its own profile only."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import Image
from starlette.testclient import TestClient

from tests.accounts import csrf_of
from tests.host.helpers import Host

EVIL = '<script>alert("x")</script> & "Co"'
EVIL_ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;Co&#34;"


@dataclass(frozen=True)
class Firm:
    id: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class Cup:
    cid: str
    firms: list[Firm]


@pytest.fixture
def cup(client: TestClient, host_headers: dict[str, str]) -> Cup:
    host = Host(client, host_headers)
    cid, teams = host.competition(4, companies=2)
    ids = sorted({team["company_id"] for team in teams})
    firms = [
        Firm(
            company,
            host.post(f"/api/competitions/{cid}/companies/{company}/invite")["invite_token"],
        )
        for company in ids
    ]
    return Cup(cid, firms)


def _place(**fields: Any) -> dict[str, Any]:
    return {
        "trade": "Tischler/in",
        "starts": "2027-08",
        "apply_url": "https://firma.de/jobs",
        **fields,
    }


def _png(size: tuple[int, int] = (40, 20)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (10, 120, 200)).save(buffer, format="PNG")
    return buffer.getvalue()


# API ----------------------------------------------------------------------------------


def test_the_api_needs_a_valid_invite_token(client: TestClient, cup: Cup) -> None:
    missing = client.get("/api/portal/profile")
    assert missing.status_code == 401
    assert missing.json()["detail"]["code"] == "company_token_required"
    wrong = client.put("/api/portal/profile", json={}, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    assert wrong.json()["detail"]["code"] == "company_token_invalid"
    own = client.get("/api/portal/profile", headers=cup.firms[0].auth)
    assert own.status_code == 200
    assert own.json()["company_id"] == cup.firms[0].id
    assert own.json()["places"] == []


@pytest.mark.parametrize(
    ("website", "expected"),
    [
        ("www.firma.de", "https://www.firma.de/"),
        ("HTTPS://WWW.Firma.DE/Karriere#top", "https://www.firma.de/Karriere"),
        ("https://firma.de:443/a?b=1", "https://firma.de/a?b=1"),
        ("", ""),
    ],
)
def test_the_website_is_normalised(
    client: TestClient, cup: Cup, website: str, expected: str
) -> None:
    body = {"about": "Wir bauen Möbel.", "location": "Lübeck", "website": website}
    saved = client.put("/api/portal/profile", json=body, headers=cup.firms[0].auth)
    assert saved.status_code == 200, saved.text
    assert saved.json()["website"] == expected
    assert saved.json()["about"] == "Wir bauen Möbel."
    again = client.get("/api/portal/profile", headers=cup.firms[0].auth).json()
    assert again["website"] == expected
    if expected:
        assert again["website_host"] in ("www.firma.de", "firma.de")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"website": "http://firma.de"}, "invalid_link"),
        ({"website": "javascript:alert(1)"}, "invalid_link"),
        ({"website": "https://user:pw@firma.de/"}, "invalid_link"),
        ({"website": "https://localhost/"}, "invalid_link"),
        ({"website": "data:text/html,<b>x</b>"}, "invalid_link"),
        ({"about": "x" * 281}, "too_long"),
        ({"location": "y" * 81}, "too_long"),
        ({"about": "Zeile\u0007Glocke"}, "invalid_text"),
        ({"about": "Steuer\u007fzeichen"}, "invalid_text"),
    ],
)
def test_bad_profile_fields_are_refused(
    client: TestClient, cup: Cup, body: dict[str, str], code: str
) -> None:
    refused = client.put("/api/portal/profile", json=body, headers=cup.firms[0].auth)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"]["code"] == code
    assert client.get("/api/portal/profile", headers=cup.firms[0].auth).json()["website"] == ""


def test_places_are_added_changed_and_removed(client: TestClient, cup: Cup) -> None:
    auth = cup.firms[0].auth
    added = client.post("/api/portal/places", json=_place(count=2), headers=auth)
    assert added.status_code == 201, added.text
    place = added.json()
    assert place["apply_url"] == "https://firma.de/jobs"
    assert place["target_host"] == "firma.de"
    assert place["count"] == 2
    by_mail = client.post(
        "/api/portal/places",
        json={"trade": "Koch/Köchin", "apply_email": "mailto:Azubi@Firma.DE"},
        headers=auth,
    )
    assert by_mail.status_code == 201, by_mail.text
    assert by_mail.json()["apply_email"] == "Azubi@firma.de"
    assert by_mail.json()["target_host"] == "firma.de"

    changed = client.put(
        f"/api/portal/places/{place['id']}", json={"starts": "2028-09"}, headers=auth
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["starts"] == "2028-09"
    assert changed.json()["trade"] == "Tischler/in"  # unchanged fields stay

    removed = client.delete(f"/api/portal/places/{place['id']}", headers=auth)
    assert removed.status_code == 204
    left = client.get("/api/portal/profile", headers=auth).json()["places"]
    assert [p["trade"] for p in left] == ["Koch/Köchin"]
    gone = client.delete(f"/api/portal/places/{place['id']}", headers=auth)
    assert gone.status_code == 404
    assert gone.json()["detail"]["code"] == "unknown_place"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"trade": ""}, "trade_required"),
        ({"trade": "   "}, "trade_required"),
        ({"trade": "T" * 81}, "too_long"),
        ({"apply_url": "", "apply_email": ""}, "apply_target_required"),
        ({"apply_url": "http://firma.de/jobs"}, "invalid_link"),
        ({"apply_url": "javascript:alert(1)"}, "invalid_link"),
        ({"apply_url": "https://a:b@firma.de/"}, "invalid_link"),
        ({"apply_url": "", "apply_email": "kein-at-zeichen"}, "invalid_email"),
        ({"apply_url": "", "apply_email": "a@b"}, "invalid_email"),
        ({"apply_url": "", "apply_email": "<script>@x.de"}, "invalid_email"),
        ({"starts": "08/2027"}, "invalid_start"),
        ({"starts": "2027-13"}, "invalid_start"),
        ({"starts": "1999-08"}, "invalid_start"),
        ({"count": 0}, "invalid_count"),
        ({"count": 100}, "invalid_count"),
        ({"count": True}, "invalid_count"),
        ({"count": "viele"}, "invalid_count"),
        ({"count": 2.5}, "invalid_count"),
    ],
)
def test_bad_place_fields_are_refused(
    client: TestClient, cup: Cup, fields: dict[str, Any], code: str
) -> None:
    refused = client.post("/api/portal/places", json=_place(**fields), headers=cup.firms[0].auth)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"]["code"] == code
    assert client.get("/api/portal/profile", headers=cup.firms[0].auth).json()["places"] == []


def test_at_most_twenty_places(client: TestClient, cup: Cup) -> None:
    auth = cup.firms[0].auth
    for _ in range(20):
        assert client.post("/api/portal/places", json=_place(), headers=auth).status_code == 201
    over = client.post("/api/portal/places", json=_place(), headers=auth)
    assert over.status_code == 422
    assert over.json()["detail"]["code"] == "too_many_places"


def test_a_company_cannot_touch_another_companys_places(client: TestClient, cup: Cup) -> None:
    mine, theirs = cup.firms
    place = client.post("/api/portal/places", json=_place(), headers=theirs.auth).json()
    changed = client.put(
        f"/api/portal/places/{place['id']}", json={"trade": "Hacker"}, headers=mine.auth
    )
    assert changed.status_code == 404
    assert changed.json()["detail"]["code"] == "unknown_place"
    assert client.delete(f"/api/portal/places/{place['id']}", headers=mine.auth).status_code == 404
    # The portal's forms: own token, the other's place id.
    csrf = csrf_of(client.get(f"/company/{mine.token}").text)
    form = {"csrf": csrf, **_place(trade="Hacker"), "count": "1"}
    posted = client.post(
        f"/company/{mine.token}/places/{place['id']}", data=form, follow_redirects=False
    )
    assert posted.status_code == 303
    assert "profile_error=unknown_place" in posted.headers["location"]
    told = client.get(posted.headers["location"]).text
    assert 'data-error="unknown_place">Diesen Ausbildungsplatz gibt es nicht.' in told
    removed = client.post(
        f"/company/{mine.token}/places/{place['id']}/remove",
        data={"csrf": csrf},
        follow_redirects=False,
    )
    assert "profile_error=unknown_place" in removed.headers["location"]
    # Another company's CSRF token does not work with this token's URL.
    other_csrf = csrf_of(client.get(f"/company/{theirs.token}").text)
    forged = client.post(
        f"/company/{mine.token}/profile",
        data={"csrf": other_csrf, "about": "x"},
        follow_redirects=False,
    )
    assert "profile_error=csrf_invalid" in forged.headers["location"]
    # A company id smuggled into the body changes nothing but the token's own profile.
    client.put(
        "/api/portal/profile", json={"about": "Mine", "company_id": theirs.id}, headers=mine.auth
    )
    assert client.get("/api/portal/profile", headers=theirs.auth).json()["about"] == ""
    their_places = client.get("/api/portal/profile", headers=theirs.auth).json()["places"]
    assert [p["trade"] for p in their_places] == ["Tischler/in"]


# Portal forms --------------------------------------------------------------------------


def test_the_portal_forms_save_and_show_errors_in_german_and_english(
    client: TestClient, cup: Cup
) -> None:
    firm = cup.firms[0]
    page = client.get(f"/company/{firm.token}")
    assert page.status_code == 200
    assert "Unser Profil / Ausbildungsplätze" in page.text
    assert '<datalist id="trade-suggestions">' in page.text
    assert '<option value="Bäcker/in">' in page.text
    assert 'type="month"' in page.text
    csrf = csrf_of(page.text)

    no_csrf = client.post(
        f"/company/{firm.token}/profile", data={"about": "x"}, follow_redirects=False
    )
    assert "profile_error=csrf_invalid" in no_csrf.headers["location"]

    bad = client.post(
        f"/company/{firm.token}/profile", data={"csrf": csrf, "website": "http://firma.de"}
    )
    assert bad.status_code == 200
    assert "Links müssen mit https:// beginnen." in bad.text
    assert 'data-error="invalid_link"' in bad.text

    saved = client.post(
        f"/company/{firm.token}/profile",
        data={
            "csrf": csrf,
            "about": "Wir bauen Möbel.",
            "location": "Lübeck",
            "website": "www.Firma.de",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/company/{firm.token}?profile_ok=profile_saved#profile"
    shown = client.get(saved.headers["location"]).text
    assert "Das Profil ist gespeichert." in shown
    assert 'value="https://www.firma.de/"' in shown
    assert client.get("/api/portal/profile", headers=firm.auth).json()["location"] == "Lübeck"

    for fields, message in [
        ({"trade": ""}, "Bitte gebt den Beruf an."),
        ({"starts": "Sommer"}, "Der Beginn ist ein Monat"),
        ({"count": "0"}, "Die Anzahl der Plätze ist 1 bis 99."),
        ({"count": "abc"}, "Die Anzahl der Plätze ist 1 bis 99."),
        ({"apply_url": "", "apply_email": "nope"}, "Die E-Mail-Adresse ist nicht gültig."),
        ({"apply_url": ""}, "Bitte gebt einen https-Link zur Bewerbung oder eine E-Mail"),
        ({"trade": "x" * 81}, "Der Text ist zu lang."),
    ]:
        form = {"csrf": csrf, **_place(), "count": "1", **fields}
        answer = client.post(f"/company/{firm.token}/places", data=form)
        assert message in answer.text, fields
    assert client.get("/api/portal/profile", headers=firm.auth).json()["places"] == []

    added = client.post(
        f"/company/{firm.token}/places", data={"csrf": csrf, **_place(), "count": "3"}
    )
    assert "Der Ausbildungsplatz ist eingetragen." in added.text
    place = client.get("/api/portal/profile", headers=firm.auth).json()["places"][0]
    assert place["count"] == 3
    assert f'id="place-{place["id"]}"' in added.text
    assert "Bewerbung führt zu: firma.de" in added.text

    edited = client.post(
        f"/company/{firm.token}/places/{place['id']}",
        data={"csrf": csrf, **_place(starts="2028-02"), "count": "1"},
    )
    assert "Der Ausbildungsplatz ist gespeichert." in edited.text
    wrong = client.post(
        f"/company/{firm.token}/places/{place['id']}",
        data={"csrf": csrf, **_place(starts="2028"), "count": "1"},
    )
    at_form = wrong.text.split(f'id="place-{place["id"]}"', 1)[1]
    assert at_form.index('data-error="invalid_start"') < at_form.index("</form>")
    assert client.get("/api/portal/profile", headers=firm.auth).json()["places"][0]["starts"] == (
        "2028-02"
    )

    english = client.get(f"/company/{firm.token}?lang=en&profile_error=invalid_link")
    assert "Our profile / apprenticeships" in english.text
    assert "Links must start with https://." in english.text

    removed = client.post(f"/company/{firm.token}/places/{place['id']}/remove", data={"csrf": csrf})
    assert "place is removed" in removed.text  # the language cookie stays English
    assert client.get("/api/portal/profile", headers=firm.auth).json()["places"] == []


def test_an_unknown_token_gets_the_invalid_page(client: TestClient, cup: Cup) -> None:
    answer = client.post("/company/nope/profile", data={"csrf": "x", "about": "y"})
    assert answer.status_code == 404
    assert "ungültig" in answer.text


def test_names_and_texts_render_escaped_in_the_portal(
    client: TestClient, cup: Cup, host_headers: dict[str, str]
) -> None:
    firm = cup.firms[0]
    host = Host(client, host_headers)
    host.post(
        f"/api/competitions/{cup.cid}/teams",
        {"company_id": firm.id, "name": "Team X", "trade": EVIL},
        201,
    )
    client.put("/api/portal/profile", json={"about": EVIL, "location": EVIL}, headers=firm.auth)
    added = client.post("/api/portal/places", json=_place(trade=EVIL), headers=firm.auth)
    assert added.status_code == 201
    html = client.get(f"/company/{firm.token}").text
    assert "<script>alert" not in html
    assert EVIL_ESCAPED in html
    assert f'<option value="{EVIL_ESCAPED}">' in html
    # Our own script only: the profile adds no script and no inline style.
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/portal.js" defer>']
    assert "style=" not in html


# Logo ----------------------------------------------------------------------------------


def test_the_logo_is_cleaned_and_served_versioned(client: TestClient, cup: Cup) -> None:
    firm = cup.firms[0]
    csrf = csrf_of(client.get(f"/company/{firm.token}").text)
    action = f"/company/{firm.token}/profile/logo"

    text = client.post(action, data={"csrf": csrf}, files={"file": ("a.png", b"not an image")})
    assert "Das ist kein PNG-, JPEG- oder WebP-Bild." in text.text
    assert client.get("/api/portal/profile", headers=firm.auth).json()["logo_url"] == ""
    forged = client.post(
        action, data={"csrf": "0" * 40}, files={"file": ("a.png", _png())}, follow_redirects=False
    )
    assert "profile_error=csrf_invalid" in forged.headers["location"]

    # A logo larger than the normal body limit (64 KB) gets the image room with a valid token.
    big = io.BytesIO()
    Image.effect_noise((400, 400), 80).convert("RGB").save(big, format="PNG")
    assert len(big.getvalue()) > 64 * 1024
    sent = client.post(
        action,
        data={"csrf": csrf},
        files={"file": ("logo.png", big.getvalue())},
        follow_redirects=False,
    )
    assert sent.headers["location"].endswith("profile_ok=logo_saved#profile"), sent.text
    url = client.get("/api/portal/profile", headers=firm.auth).json()["logo_url"]
    assert re.fullmatch(rf"/brand/{cup.cid}/company/{firm.id}/logo\.png\?v=[0-9a-f]{{12}}", url)
    logo = client.get(url)
    assert logo.status_code == 200
    assert logo.headers["content-type"] == "image/png"
    assert logo.content.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(logo.content)).size == (400, 400)
    page = client.get(f"/company/{firm.token}").text
    assert f'src="/company/{firm.token}/profile/logo.png?v=' in page
    assert client.get(f"/company/{firm.token}/profile/logo.png").status_code == 200

    client.post(action, data={"csrf": csrf}, files={"file": ("b.png", _png())})
    newer = client.get("/api/portal/profile", headers=firm.auth).json()["logo_url"]
    assert newer != url
    assert client.get(url.split("?")[0]).status_code == 200  # the path stays, the version moves
    stranger = client.post(
        "/company/nope/profile/logo",
        data={"csrf": csrf},
        files={"file": ("logo.png", big.getvalue())},
    )
    assert stranger.status_code == 413
