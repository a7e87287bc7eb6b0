"""Choosing who may vote: the competition's mode, a duel's own mode until it opens, the
console's forms and its plain warning about open mode, and verified mode's need for mail."""

from __future__ import annotations

import redis
from pydantic import SecretStr
from starlette.testclient import TestClient

from duels import keys
from duels.settings import Settings
from tests.accounts import csrf_of, log_in
from tests.host.helpers import Host
from web.app import create_app


def test_mode_of_the_competition_applies_until_a_duel_opens(
    client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis
) -> None:
    host = Host(client, host_headers)
    cid, _ = host.competition(4, admission="codes")
    host.post(f"/api/competitions/{cid}/bracket", {"seed": 1}, 201)
    first, second = (d["id"] for d in host.current_duels(cid))
    assert host.bracket(cid)["rounds"][0]["duels"][0]["admission"] == ""

    # One duel gets a mode of its own; the competition then changes its mode.
    assert host.post(f"/api/duels/{second}/admission", {"mode": "open"})["admission_choice"] == (
        "open"
    )
    assert host.post(f"/api/competitions/{cid}/admission", {"mode": "venue"})["admission"] == (
        "venue"
    )
    assert host.post(f"/api/duels/{first}/open")["admission"] == "venue"
    assert host.post(f"/api/duels/{second}/open")["admission"] == "open"

    # Fixed once opened: neither the duel nor (for it) the competition can change it.
    refused = client.post(
        f"/api/duels/{first}/admission", json={"mode": "open"}, headers=host_headers
    )
    assert refused.status_code == 409 and refused.json()["detail"]["code"] == "already_opened"
    host.post(f"/api/competitions/{cid}/admission", {"mode": "codes"})
    assert redis_client.hget(keys.duel(first), "admission") == "venue"
    whats = [f.get("what") for _, f in redis_client.xrange(keys.audit(cid))]  # type: ignore[union-attr]
    assert whats.count("admission") == 3


def test_unknown_modes_are_refused(client: TestClient, host_headers: dict[str, str]) -> None:
    host = Host(client, host_headers)
    cid, _ = host.competition(2)
    for path in (f"/api/competitions/{cid}/admission", "/api/competitions"):
        response = client.post(path, json={"mode": "nightclub", "title": "x", "admission": "x"},
                               headers=host_headers)  # fmt: skip
        assert response.status_code == 422, response.text
    assert (
        client.post(f"/api/competitions/{cid}/admission", json={"mode": "open"}).status_code == 401
    )


def test_verified_mode_needs_mail_in_production(settings: Settings) -> None:
    production = settings.model_copy(
        update={
            "mode": "production",
            "host_token": SecretStr("p" * 8 + "roduction-host-token-x1Y2z3"),
        }
    )
    headers = {"Authorization": f"Bearer {production.host_token_value()}"}
    with TestClient(create_app(production)) as client:
        host = Host(client, headers)
        cid, _ = host.competition(2)
        response = client.post(
            f"/api/competitions/{cid}/admission", json={"mode": "verified"}, headers=headers
        )
        assert response.status_code == 409
        assert response.json()["detail"]["code"] == "smtp_required"
        created = client.post(
            "/api/competitions", json={"title": "Online", "admission": "verified"}, headers=headers
        )
        assert created.status_code == 409 and created.json()["detail"]["code"] == "smtp_required"
        # With SMTP configured the same request goes through.
    with_smtp = production.model_copy(update={"smtp_url": SecretStr("smtp://127.0.0.1:2525")})
    with TestClient(create_app(with_smtp)) as client:
        response = client.post(
            f"/api/competitions/{cid}/admission", json={"mode": "verified"}, headers=headers
        )
        assert response.status_code == 200, response.text


def test_console_chooses_the_mode_and_warns_about_open_mode(
    client: TestClient, redis_client: redis.Redis
) -> None:
    csrf = log_in(client)
    index = client.get("/host").text
    assert 'name="admission" value="venue" checked' in index
    created = client.post("/host/competitions", data={"csrf": csrf, "title": "Hallenduell"})
    assert created.status_code == 200
    cid = str(created.url).rsplit("/", 1)[-1].split("?")[0]
    assert redis_client.hget(keys.competition(cid), "admission") == "venue"
    assert 'data-warning="open-mode"' not in created.text

    page = client.post(
        f"/host/c/{cid}/admission", data={"csrf": csrf_of(created.text), "mode": "open"}
    )
    assert "ok=admission_set" in str(page.url)
    assert 'data-warning="open-mode"' in page.text
    assert "nicht von einem Bot unterscheiden" in page.text
    # Without the CSRF token nothing changes.
    client.post(f"/host/c/{cid}/admission", data={"csrf": "0" * 32, "mode": "codes"})
    assert redis_client.hget(keys.competition(cid), "admission") == "open"
