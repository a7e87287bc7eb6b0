"""Allowed embedding origins (#18): strict validation with stable codes, the host API
(``GET``/``PUT /api/competitions/{cid}/embed``) and the card on the branding page."""

from __future__ import annotations

import pytest
import redis
from markupsafe import escape
from starlette.testclient import TestClient

from duels import embedding, errors, store
from duels.access import Role
from tests.accounts import csrf_of, log_in
from tests.host.helpers import Host


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://www.azubi-kampagne.de", "https://www.azubi-kampagne.de"),
        ("  HTTPS://Example.ORG/ ", "https://example.org"),
        ("https://example.org:443", "https://example.org"),
        ("http://example.org:80", "http://example.org"),
        ("https://example.org:8443", "https://example.org:8443"),
        ("http://127.0.0.1:5173", "http://127.0.0.1:5173"),
        ("https://xn--mnchen-3ya.de", "https://xn--mnchen-3ya.de"),
    ],
)
def test_origins_are_normalised(value: str, expected: str) -> None:
    assert embedding.parse_origin(value) == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("javascript:alert(1)", "scheme"),
        ("ftp://example.org", "scheme"),
        ("data:text/html,x", "scheme"),
        ("example.org", "scheme"),
        ("//example.org", "scheme"),
        ("https:example.org", "scheme"),
        ("https://example.org/page", "path"),
        ("https://example.org/a/", "path"),
        ("https://example.org?x=1", "path"),
        ("https://example.org#top", "path"),
        ("https://*.example.org", "wildcard"),
        ("*", "wildcard"),
        ("https://user:pw@example.org", "user"),
        ("https://exa mple.org", "host"),
        ("https://example.org; script-src https://evil.example", "path"),
        ("https://example.org;frame-ancestors", "host"),
        ("https://-bad.example", "host"),
        ("https://münchen.de", "host"),
        ("https://[::1]:8080", "host"),
        ("https://256.1.1.1", "host"),
        ("https://example.org:0", "port"),
        ("https://example.org:70000", "port"),
        ("https://example.org:", "host"),
        ("'self'", "scheme"),
    ],
)
def test_bad_origins_are_refused_with_a_stable_code(value: str, reason: str) -> None:
    with pytest.raises(embedding.InvalidOrigin) as refused:
        embedding.parse_origin(value)
    assert refused.value.code == "invalid_origin"
    assert refused.value.reason == reason


def test_at_most_ten_origins_duplicates_count_once() -> None:
    many = [f"https://site{n}.example" for n in range(embedding.MAX_ORIGINS)]
    assert embedding.parse_origins([*many, many[0].upper(), ""]) == many
    with pytest.raises(errors.Invalid) as refused:
        embedding.parse_origins([*many, "https://one-more.example"])
    assert refused.value.code == "too_many_origins"


def test_set_is_audited_and_unknown_competitions_refused(redis_client: redis.Redis) -> None:
    cid = store.create_competition(redis_client, "Einbettcup").id
    assert embedding.allowed_origins(redis_client, cid) == []
    saved = embedding.set_allowed_origins(
        redis_client, cid, ["https://b.example", "https://a.example/"], actor="anna@example.org"
    )
    assert saved == ["https://b.example", "https://a.example"]
    assert embedding.allowed_origins(redis_client, cid) == saved
    last = store.audit_log(redis_client, cid)[-1]
    assert (last["who"], last["what"]) == ("anna@example.org", "embed_origins_set")
    assert last["origins"] == "https://b.example https://a.example"
    with pytest.raises(errors.NotFound):
        embedding.set_allowed_origins(redis_client, "nope", [], actor="x")


# Host API -----------------------------------------------------------------------------


def test_api_reads_and_sets_the_origins(client: TestClient, host_headers: dict[str, str]) -> None:
    cid, _ = Host(client, host_headers).competition(2)
    url = f"/api/competitions/{cid}/embed"
    first = client.get(url, headers=host_headers)
    assert first.status_code == 200, first.text
    assert first.json()["origins"] == []
    assert first.json()["embed_url"].endswith(f"/embed/{cid}")
    assert first.json()["snippet"].startswith(f'<iframe src="{first.json()["embed_url"]}"')

    saved = client.put(url, json={"origins": ["https://Kampagne.example/"]}, headers=host_headers)
    assert saved.status_code == 200, saved.text
    assert saved.json()["origins"] == ["https://kampagne.example"]
    assert client.get(url, headers=host_headers).json()["origins"] == ["https://kampagne.example"]


@pytest.mark.parametrize(
    ("origins", "code"),
    [
        (["https://*.example.org"], "invalid_origin"),
        (["https://example.org/embed"], "invalid_origin"),
        (["ftp://example.org"], "invalid_origin"),
        ([f"https://s{n}.example" for n in range(11)], "too_many_origins"),
    ],
)
def test_api_refuses_bad_origins(
    client: TestClient, host_headers: dict[str, str], origins: list[str], code: str
) -> None:
    cid, _ = Host(client, host_headers).competition(2)
    url = f"/api/competitions/{cid}/embed"
    client.put(url, json={"origins": ["https://kept.example"]}, headers=host_headers)
    refused = client.put(url, json={"origins": origins}, headers=host_headers)
    assert refused.status_code == 422
    assert refused.json()["detail"]["code"] == code
    assert client.get(url, headers=host_headers).json()["origins"] == ["https://kept.example"]


def test_api_needs_a_token(client: TestClient, host_headers: dict[str, str]) -> None:
    cid, _ = Host(client, host_headers).competition(2)
    answer = client.put(f"/api/competitions/{cid}/embed", json={"origins": []})
    assert answer.status_code == 401


# Console ------------------------------------------------------------------------------


def test_console_card_saves_origins_and_shows_the_snippet(
    client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis
) -> None:
    cid, _ = Host(client, host_headers).competition(2)
    log_in(client)
    page = client.get(f"/host/c/{cid}/branding")
    assert page.status_code == 200
    assert 'id="branding-embed"' in page.text and "data-embed-none" in page.text
    public_url = client.app.state.settings.public_url  # type: ignore[attr-defined]
    assert str(escape(f'<iframe src="{public_url}/embed/{cid}" title="Testcup"')) in page.text

    form = {
        "csrf": csrf_of(page.text),
        "origins": "https://a.example\r\n\r\nhttp://b.example:8080\n",
    }
    saved = client.post(f"/host/c/{cid}/branding/embed", data=form, follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"].endswith("?ok=embed_saved#branding-embed")
    assert embedding.allowed_origins(redis_client, cid) == [
        "https://a.example",
        "http://b.example:8080",
    ]
    again = client.get(f"/host/c/{cid}/branding?ok=embed_saved").text
    assert "https://a.example\nhttp://b.example:8080</textarea>" in again
    assert "data-embed-none" not in again


def test_console_refuses_a_wildcard_and_keeps_the_text(
    client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis
) -> None:
    cid, _ = Host(client, host_headers).competition(2)
    log_in(client)
    csrf = csrf_of(client.get(f"/host/c/{cid}/branding").text)
    form = {"csrf": csrf, "origins": "https://ok.example\nhttps://*.example"}
    refused = client.post(f"/host/c/{cid}/branding/embed", data=form)
    assert refused.status_code == 422
    assert 'data-error="invalid_origin"' in refused.text
    assert "keine Platzhalter" in refused.text
    assert "https://ok.example\nhttps://*.example</textarea>" in refused.text
    assert embedding.allowed_origins(redis_client, cid) == []


def test_console_needs_csrf_and_configure(
    client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis
) -> None:
    cid, _ = Host(client, host_headers).competition(2)
    log_in(client)
    form = {"csrf": "0" * 64, "origins": "https://a.example"}
    refused = client.post(f"/host/c/{cid}/branding/embed", data=form)
    assert refused.status_code == 422 and 'data-error="csrf_failed"' in refused.text
    assert embedding.allowed_origins(redis_client, cid) == []

    viewer = TestClient(client.app)
    csrf = log_in(viewer, "viewer@example.org", Role.VIEWER)
    denied = viewer.post(
        f"/host/c/{cid}/branding/embed",
        data={"csrf": csrf, "origins": "https://a.example"},
        headers={"Accept": "text/html"},
    )
    assert denied.status_code == 403
    assert embedding.allowed_origins(redis_client, cid) == []
