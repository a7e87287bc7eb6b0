"""compose.yaml runs the stack the way production would."""

from __future__ import annotations

from pathlib import Path

import yaml

COMPOSE = Path(__file__).parents[1] / "compose.yaml"


def test_compose_has_redis_with_aof_and_a_healthcheck() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    redis = services["redis"]
    assert redis["image"].startswith("redis:")
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert "redis-cli" in redis["healthcheck"]["test"]
    assert any(volume.endswith(":/data") for volume in redis["volumes"])


def test_web_and_worker_are_built_from_the_project_and_wait_for_redis() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    for name in ("web", "worker"):
        service = services[name]
        assert service["build"] == "."
        assert service["environment"]["MACHMAL_MODE"] == "production"
        assert service["environment"]["MACHMAL_REDIS_URL"] == "redis://redis:6379/0"
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
        assert service["command"][0] == "machmal"
    assert services["worker"]["command"] == ["machmal", "worker"]
    # Secrets are never written into the file: compose must be given them.
    assert "${MACHMAL_SECRET_KEY:?" in COMPOSE.read_text()
