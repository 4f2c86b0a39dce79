"""Settings: read from ECOLOOP_ variables only, validated with the variable's name, every one documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ecoloop.settings import SECRET_KEY_FILE, ImproperlyConfiguredError, Settings, load_settings

ROOT = Path(__file__).resolve().parents[1]


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.database_url == "sqlite:///var/ecoloop.sqlite"
    assert settings.analytics_url == "duckdb:///var/analytics.duckdb"
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.timezone == "Asia/Shanghai"
    assert settings.default_locale == "zh_CN"


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ECOLOOP_PORT", "8123")
    monkeypatch.setenv("ECOLOOP_DATABASE_URL", "postgresql+psycopg://u@db/ecoloop")
    settings = load_settings()
    assert settings.port == 8123
    assert settings.database_url.startswith("postgresql")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ECOLOOP_PORT", "eighty"),
        ("ECOLOOP_TIMEZONE", "Mars/Olympus"),
        ("ECOLOOP_DATABASE_URL", "mysql://x/y"),
        ("ECOLOOP_PUBLIC_URL", "ecoloop.example.gov.cn"),
        ("ECOLOOP_PUBLIC_URL", "https://ecoloop.example.gov.cn/?next=x"),
        ("ECOLOOP_PASSWORD_LINK_HOURS", "0"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str, value: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(variable, value)
    with pytest.raises(ImproperlyConfiguredError, match=variable):
        load_settings()


def test_secret_key_is_generated_once_into_data_dir(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path / "var")  # type: ignore[call-arg]
    key = settings.signing_key
    path = tmp_path / "var" / SECRET_KEY_FILE
    assert len(key) >= 48 and path.read_bytes().strip() == key
    assert path.stat().st_mode & 0o077 == 0
    again = Settings(_env_file=None, data_dir=tmp_path / "var")  # type: ignore[call-arg]
    assert again.signing_key == key


def test_every_setting_is_documented() -> None:
    doc = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    for name, field in Settings.model_fields.items():
        variable = f"ECOLOOP_{name.upper()}"
        assert field.description, f"{name} has no description"
        assert f"`{variable}`" in doc, f"{variable} missing from docs/settings.md"
        assert f"{variable}=" in example, f"{variable} missing from .env.example"


def test_no_environment_reads_outside_settings() -> None:
    offenders = []
    for path in (ROOT / "src" / "ecoloop").rglob("*.py"):
        if path.name == "settings.py":
            continue
        if re.search(r"os\.environ|os\.getenv|getenv\(", path.read_text(encoding="utf-8")):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_the_public_url_loses_its_trailing_slash(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ECOLOOP_PUBLIC_URL", "https://ecoloop.example.gov.cn/ecoloop/")
    assert load_settings().public_url == "https://ecoloop.example.gov.cn/ecoloop"
