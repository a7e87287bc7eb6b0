"""A competition exports to JSON and imports back exactly, also through the CLI."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import orjson
import pytest
import redis
from starlette.testclient import TestClient

from duels import backup, keys
from duels.errors import Conflict
from duels.settings import Settings
from tests.host.helpers import Host, play_round
from tests.support import child_env


@pytest.fixture
def played(client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis) -> str:
    """A competition one round in, with a vote stream, a consumer group and a throttle key."""
    host = Host(client, host_headers)
    cid, _ = host.competition(teams=4)
    host.post(f"/api/competitions/{cid}/bracket", {"seed": 9}, 201)
    duel = host.current_duels(cid)[0]
    votes = keys.votes(duel["id"])
    for n in range(5):
        redis_client.xadd(votes, {"t": duel["home"]["id"], "v": f"voter{n}", "n": "ab", "u": "cd"})
    redis_client.xgroup_create(votes, "tally", id="0")
    redis_client.xreadgroup("tally", "w1", {votes: ">"}, count=3)
    redis_client.set(keys.rate(duel["id"], "ip", "ff00"), "3", ex=600)
    play_round(host, redis_client, cid)
    return cid


def test_export_then_import_round_trips_exactly(played: str, redis_client: redis.Redis) -> None:
    first = backup.export_competition(redis_client, played)
    assert any(item["type"] == "stream" for item in first["keys"].values())
    redis_client.flushall()
    assert backup.import_competition(redis_client, orjson.loads(orjson.dumps(first))) == played
    second = backup.export_competition(redis_client, played)
    for key in first["keys"].keys() - second["keys"].keys():
        assert first["keys"][key]["ttl_ms"], key  # only a throttle window may lapse meanwhile
        del first["keys"][key]
    for item in (*first["keys"].values(), *second["keys"].values()):
        if item["ttl_ms"]:
            item["ttl_ms"] = "set"  # the remaining time ticks on; that it is kept matters
    assert second == first
    assert redis_client.sismember(keys.COMPETITIONS, played)


def test_import_refuses_to_overwrite_unless_asked(played: str, redis_client: redis.Redis) -> None:
    data = backup.export_competition(redis_client, played)
    with pytest.raises(Conflict):
        backup.import_competition(redis_client, data)
    assert backup.import_competition(redis_client, data, replace=True) == played


def test_cli_export_and_import(played: str, settings: Settings, tmp_path: Path) -> None:
    target = tmp_path / "export.json"
    env = child_env(settings)
    subprocess.run(
        [sys.executable, "-m", "web.cli", "export", played, "-o", str(target)], env=env, check=True
    )
    exported = orjson.loads(target.read_bytes())
    assert exported["competition"] == played
    with redis.Redis.from_url(settings.redis_url or "") as client:
        client.flushall()
    done = subprocess.run(
        [sys.executable, "-m", "web.cli", "import", str(target)],
        env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    assert played in done.stdout
    with redis.Redis.from_url(settings.redis_url or "", decode_responses=True) as client:
        restored = backup.export_competition(client, played)["keys"].keys()
    # Throttle windows carry their TTL and may lapse between export and import.
    lasting = {key for key, entry in exported["keys"].items() if not entry["ttl_ms"]}
    assert lasting <= restored <= exported["keys"].keys()


def test_screen_keys_and_attendee_codes_keep_working_after_import(
    client: TestClient, host_headers: dict[str, str], redis_client: redis.Redis
) -> None:
    """The global indexes (screen key -> competition, code hash -> competition) travel
    with the export, so a restored competition's stage screen and printed codes work."""
    host = Host(client, host_headers)
    cid, _ = host.competition(teams=2)
    screen = host.post(f"/api/competitions/{cid}/screens", {"name": "Bühne"}, 201)
    host.post(f"/api/competitions/{cid}/codes", {"count": 3}, 201)
    code = client.get(f"/api/competitions/{cid}/codes", headers=host_headers).json()[0]["code"]
    exported = orjson.loads(orjson.dumps(backup.export_competition(redis_client, cid)))
    redis_client.flushall()
    backup.import_competition(redis_client, exported)

    assert client.get(f"/screen/{screen['key']}/codes.json").status_code == 200
    card = client.get(f"/code/{code}")
    assert card.status_code == 200
    csrf = card.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    claimed = client.post("/code", data={"csrf": csrf, "code": code}, follow_redirects=False)
    assert claimed.status_code == 303, claimed.text
    assert "mm_admit" in claimed.headers.get("set-cookie", "")
