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


def test_default_services_have_no_profile_and_scaled_ones_do() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    for name in ("redis", "web", "worker"):
        assert "profiles" not in services[name], f"{name} must start without a profile"
    for name in ("proxy", "web-scaled", "worker-scaled"):
        assert services[name]["profiles"] == ["scaled"]


def test_scaled_profile_runs_replicas_behind_the_proxy() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    web, workers, proxy = services["web-scaled"], services["worker-scaled"], services["proxy"]
    assert web["deploy"]["replicas"] >= 2 and workers["deploy"]["replicas"] >= 2
    assert "ports" not in web, "replicas are reached through the proxy only"
    assert web["command"][:2] == ["machmal", "serve"] and "0.0.0.0" in web["command"]
    assert workers["command"] == ["machmal", "worker"]
    assert web["environment"]["MACHMAL_REDIS_URL"] == "redis://redis:6379/0"
    assert web["environment"]["FORWARDED_ALLOW_IPS"] == "*"  # trusts the proxy's X-F-F
    assert web["environment"]["MACHMAL_MODE"] == "production"
    assert proxy["image"].startswith("nginx:")
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in proxy["volumes"]
    assert proxy["depends_on"] == ["web-scaled"]


def test_proxy_config_passes_the_client_and_does_not_buffer_sse() -> None:
    conf = (COMPOSE.parent / "deploy" / "nginx.conf").read_text()
    assert "server web-scaled:8000" in conf
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in conf
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    events = conf[conf.index("/events$") :]
    events = events[: events.index("}")]
    assert "proxy_buffering off;" in events and "proxy_read_timeout 1h;" in events
    assert conf.count("{") == conf.count("}")
