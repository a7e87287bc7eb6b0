"""compose.yaml runs the stack the way production would."""

from __future__ import annotations

import ipaddress
import subprocess
from pathlib import Path

import yaml

from tests.security.proxies import binary, caddy_env

COMPOSE = Path(__file__).parents[1] / "compose.yaml"
DEPLOY = COMPOSE.parent / "deploy"


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
    assert services["caddy"]["profiles"] == ["tls"]


def test_scaled_profile_runs_replicas_behind_the_proxy() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    web, workers, proxy = services["web-scaled"], services["worker-scaled"], services["proxy"]
    assert web["deploy"]["replicas"] >= 2 and workers["deploy"]["replicas"] >= 2
    assert "ports" not in web, "replicas are reached through the proxy only"
    assert web["command"][:2] == ["machmal", "serve"] and "0.0.0.0" in web["command"]
    assert workers["command"] == ["machmal", "worker"]
    assert web["environment"]["MACHMAL_REDIS_URL"] == "redis://redis:6379/0"
    assert web["environment"]["MACHMAL_MODE"] == "production"
    assert proxy["image"].startswith("nginx:")
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in proxy["volumes"]
    assert proxy["depends_on"] == ["web-scaled"]


def test_proxy_config_passes_the_client_and_does_not_buffer_sse() -> None:
    conf = (COMPOSE.parent / "deploy" / "nginx.conf").read_text()
    assert "server web-scaled:8000" in conf
    # Replaced with the connecting address: never the client's own header appended to.
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in conf
    assert "$proxy_add_x_forwarded_for" not in conf and "real_ip" not in conf
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in conf
    events = conf[conf.index("/events$") :]
    events = events[: events.index("}")]
    assert "proxy_buffering off;" in events and "proxy_read_timeout 1h;" in events
    assert conf.count("{") == conf.count("}")


def test_each_web_service_trusts_exactly_its_own_proxy() -> None:
    """Issue #13: a replica trusting every peer ("*") let any client choose its address."""
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    assert "FORWARDED_ALLOW_IPS" not in COMPOSE.read_text()
    (edge,) = compose["networks"]["edge"]["ipam"]["config"]
    subnet, dynamic = ipaddress.ip_network(edge["subnet"]), ipaddress.ip_network(edge["ip_range"])
    for web, proxy in (("web", "caddy"), ("web-scaled", "proxy")):
        address = ipaddress.ip_address(services[proxy]["networks"]["edge"]["ipv4_address"])
        # A fixed address no other container can get, and not the gateway (.1).
        assert address in subnet and address not in dynamic and address != subnet[1]
        assert services[web]["environment"]["MACHMAL_TRUSTED_PROXIES"] == f"{address}/32"
        assert {"default", "edge"} <= set(services[web]["networks"])
    assert "networks" not in services["worker"] and "networks" not in services["redis"]


def test_tls_profile_runs_caddy_in_front_of_web() -> None:
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    caddy = services["caddy"]
    assert caddy["image"] == "caddy:2"
    assert "./deploy/Caddyfile:/etc/caddy/Caddyfile:ro" in caddy["volumes"]
    assert any(volume.startswith("caddy-data:") for volume in caddy["volumes"])  # certificates
    assert {"80:80", "443:443"} <= set(caddy["ports"])
    assert caddy["environment"]["MACHMAL_SITE"] == "${MACHMAL_SITE:-}"
    assert "MACHMAL_SITE" in caddy["command"][-1] and "exec caddy run" in caddy["command"][-1]
    assert caddy["depends_on"] == ["web"]
    conf = (DEPLOY / "Caddyfile").read_text()
    assert "{$MACHMAL_SITE} {" in conf
    assert "reverse_proxy web:8000" in conf
    assert "header_up X-Forwarded-For {remote_host}" in conf


def test_caddyfile_is_valid_for_a_public_host_name(tmp_path: Path) -> None:
    command = [binary("caddy"), "validate", "--config", str(DEPLOY / "Caddyfile"),
               "--adapter", "caddyfile"]  # fmt: skip
    env = caddy_env(tmp_path, "duell.example.org")
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Valid configuration" in result.stdout + result.stderr
