"""Health, metrics, docs and the security headers every answer carries."""

from __future__ import annotations

from starlette.testclient import TestClient

from duels.redis_server import EmbeddedRedis
from duels.settings import Settings
from web.app import create_app


def test_healthz_is_200_when_redis_answers(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "redis": "up"}


def test_healthz_is_503_quickly_when_redis_is_down(settings: Settings) -> None:
    dead = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    with TestClient(create_app(dead)) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"


def test_healthz_recovers_when_redis_comes_back(
    client: TestClient, redis_server: EmbeddedRedis
) -> None:
    redis_server.stop()
    assert client.get("/healthz").status_code == 503
    redis_server.start()
    assert client.get("/healthz").status_code == 200


def test_metrics_are_prometheus_text(settings: Settings) -> None:
    """Scraped from loopback (without MACHMAL_METRICS_TOKEN nobody else may)."""
    with TestClient(create_app(settings), client=("127.0.0.1", 50000)) as client:
        response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert 'machmal_queue_depth{queue="tally"}' in response.text
    assert "machmal_votes_accepted_total" in response.text


def test_docs_use_our_own_swagger_copy(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/static/swagger/swagger-ui-bundle.js" in page.text
    assert "http" not in page.text.split("<body>")[1]  # no CDN address in the page
    assert client.get("/static/swagger/swagger-ui-bundle.js").status_code == 200
    assert client.get("/openapi.json").json()["info"]["title"].startswith("Mach mal")


def test_every_answer_carries_security_headers(client: TestClient) -> None:
    for path in ("/", "/healthz", "/docs", "/static/style.css", "/no-such-page"):
        headers = client.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert "unsafe-inline" not in headers["content-security-policy"]
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"


def test_unknown_path_answers_in_the_error_shape(client: TestClient) -> None:
    response = client.get("/api/no-such-thing")
    assert response.status_code == 404
    assert response.json()["detail"]["code"] == "not_found"


def test_index_is_german_by_default_and_english_on_request(client: TestClient) -> None:
    assert "Wettbewerbe" in client.get("/").text
    english = client.get("/?lang=en")
    assert "Competitions" in english.text
    assert english.cookies.get("mm_lang") == "en"
    assert "Competitions" in client.get("/").text  # remembered by the cookie
