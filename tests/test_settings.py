"""One settings object from MACHMAL_* variables; production refuses weak secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from duels.settings import Settings, SettingsError, load_settings


def test_environment_prefix_is_machmal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MACHMAL_PUBLIC_URL", "https://duell.example/")
    monkeypatch.setenv("MACHMAL_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MACHMAL_HOST_TOKEN", "given-token-used-as-is-123456")
    settings = load_settings()
    assert settings.public_url == "https://duell.example"
    assert settings.secure_cookies
    assert settings.host_token_value() == "given-token-used-as-is-123456"


def test_development_generates_secrets_once_and_keeps_them(tmp_path: Path) -> None:
    first = Settings(data_dir=tmp_path).with_secrets()
    second = Settings(data_dir=tmp_path).with_secrets()
    assert len(first.secret_key_value()) >= 32
    assert first.secret_key_value() == second.secret_key_value()
    assert first.host_token_value() == second.host_token_value()
    assert (tmp_path / "secrets.json").stat().st_mode & 0o077 == 0


@pytest.mark.parametrize(
    ("secret_key", "host_token", "complaint"),
    [
        (None, "h" * 10 + "0123456789abcdefgh", "MACHMAL_SECRET_KEY must be set"),
        ("short", "0123456789abcdefghijklmnop", "MACHMAL_SECRET_KEY is too weak"),
        ("a" * 64, "0123456789abcdefghijklmnop", "MACHMAL_SECRET_KEY is too weak"),
        ("0123456789abcdefghijklmnopqrstuvwxyz", None, "MACHMAL_HOST_TOKEN must be set"),
        ("0123456789abcdefghijklmnopqrstuvwxyz", "changeme", "MACHMAL_HOST_TOKEN is too weak"),
    ],
)
def test_production_refuses_missing_or_weak_secrets(
    tmp_path: Path, secret_key: str | None, host_token: str | None, complaint: str
) -> None:
    settings = Settings(
        mode="production", data_dir=tmp_path, secret_key=secret_key, host_token=host_token
    )
    with pytest.raises(SettingsError, match=complaint):
        settings.with_secrets()
    assert not (tmp_path / "secrets.json").exists()
