"""Server errors found by fuzzing and probing, kept fixed."""

from __future__ import annotations

import pytest
import redis
from starlette.testclient import TestClient

from duels import store, tournament
from tests.accounts import log_in

NOT_A_TIME = [b"NaN", b"Infinity", b"-Infinity", b"1e308", b"-1e20"]


@pytest.fixture
def duel(redis_client: redis.Redis) -> tuple[str, str, str]:
    cid = store.create_competition(redis_client, "Regression").id
    company, token = store.add_company(redis_client, cid, "Firma")
    teams = [store.add_team(redis_client, cid, company.id, f"T{n}", "Koch/Köchin") for n in (1, 2)]
    tournament.draw(redis_client, cid, seeding="manual", order=[t.id for t in teams])
    (record,) = store.duels_of_competition(redis_client, cid)
    return cid, record.id, token


@pytest.mark.parametrize("value", NOT_A_TIME)
def test_a_video_deadline_must_be_a_date(
    client: TestClient, host_headers: dict[str, str], duel: tuple[str, str, str], value: bytes
) -> None:
    """Was: accepted, then the company portal answered 500 (datetime overflow)."""
    _, did, token = duel
    response = client.post(
        f"/api/duels/{did}/deadline",
        content=b'{"submit_until": ' + value + b"}",
        headers={**host_headers, "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"]["code"] == "invalid_time"
    assert client.get(f"/company/{token}").status_code == 200


@pytest.mark.parametrize("value", NOT_A_TIME)
def test_a_voting_end_time_must_be_a_date(
    client: TestClient,
    host_headers: dict[str, str],
    redis_client: redis.Redis,
    duel: tuple[str, str, str],
    value: bytes,
) -> None:
    """Was: NaN accepted as an end time that never comes (the sweep never closes it)."""
    _, did, _ = duel
    response = client.post(
        f"/api/duels/{did}/open",
        content=b'{"closes_at": ' + value + b"}",
        headers={**host_headers, "content-type": "application/json"},
    )
    assert response.status_code == 422
    assert store.get_duel(redis_client, did).status == "pending"


@pytest.mark.parametrize("asked", ["abc", "1e5", "%00", "ä", "99999999999"])
def test_posters_with_an_odd_round_parameter(
    client: TestClient, duel: tuple[str, str, str], asked: str
) -> None:
    """Was: 500 (int() of the raw query parameter)."""
    cid, _, _ = duel
    log_in(client)
    assert client.get(f"/host/c/{cid}/posters?round={asked}").status_code == 200
