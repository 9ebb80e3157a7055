from __future__ import annotations

import subprocess
import sys

import pytest

from bot.crypto import generate_key
from bot.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> None:
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_APP_TOKEN",
        "ENCRYPTION_KEYS",
        "DATABASE_URL",
        "LOG_LEVEL",
        "ADMINS",
        "PORT",
        "SLACK_API_URL",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_use_sqlite_and_slack() -> None:
    settings = load_settings()
    assert settings.database_url.startswith("sqlite:///")
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.port == 3000


def test_lists_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = [generate_key(), generate_key()]
    monkeypatch.setenv("ENCRYPTION_KEYS", ",".join(keys))
    monkeypatch.setenv("ADMINS", "U1, U2")
    settings = load_settings()
    assert settings.keys == keys
    assert settings.admins == ["U1", "U2"]


def test_env_file_is_read(tmp_path: object) -> None:
    with open(".env", "w") as env_file:
        env_file.write("SLACK_API_URL=http://127.0.0.1:9/api\nLOG_LEVEL=debug\n")
    settings = load_settings()
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"
    assert settings.log_level == "DEBUG"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("ENCRYPTION_KEYS", "not-a-key", "ENCRYPTION_KEYS is invalid: key 1 is not a valid Fernet key"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL is invalid"),
        ("PORT", "99999", "PORT is invalid"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL is invalid"),
        ("SLACK_API_URL", "ftp://x", "SLACK_API_URL is invalid"),
    ],
)
def test_invalid_setting_is_named(monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=expected):
        load_settings()


def test_each_mode_names_what_it_misses(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SettingsError, match="SLACK_BOT_TOKEN is missing"):
        load_settings().require_for("serve")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("ENCRYPTION_KEYS", generate_key())
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET is missing"):
        load_settings().require_for("serve")
    with pytest.raises(SettingsError, match="SLACK_APP_TOKEN is missing"):
        load_settings().require_for("run")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    load_settings().require_for("serve")


def test_app_stops_at_start_with_one_clear_line(tmp_path: object) -> None:
    env = {"PATH": "/usr/bin:/bin", "ENCRYPTION_KEYS": "bad"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=str(tmp_path),
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "error: ENCRYPTION_KEYS is invalid: key 1 is not a valid Fernet key (make one with `python -m bot keygen`)"
    ]


def test_keygen_prints_a_working_key() -> None:
    result = subprocess.run([sys.executable, "-m", "bot", "keygen"], capture_output=True, text=True, timeout=60)
    key = result.stdout.strip()
    from cryptography.fernet import Fernet

    assert Fernet(key).decrypt(Fernet(key).encrypt(b"x")) == b"x"
