"""Settings from the environment and `.env`, validated at start.

A missing or invalid setting stops the app with one line that names it (see ``SettingsError``).
"""

from __future__ import annotations

import logging
from importlib.util import find_spec
from typing import Annotated, Literal

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///data/mentoring.db"
SLACK_API_URL = "https://slack.com/api/"

Mode = Literal["run", "serve", "worker", "migrate", "tools"]


# Impact and feedback figures are shown only for groups at least this big (MIN_GROUP_SIZE).
DEFAULT_MIN_GROUP = 5


class SettingsError(Exception):
    """A setting is missing or invalid; the message names it in one line."""


def _split_list(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.replace("\n", ",").split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = SLACK_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    encryption_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    log_level: str = "INFO"
    admins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    port: int = Field(default=3000, ge=1, le=65535)
    http_threads: int = Field(default=8, ge=1, le=128)
    auto_migrate: bool = True
    # Run the outbox dispatcher inside the app process too (default: yes for `run`, no for `serve`).
    run_dispatcher: bool | None = None
    dispatch_interval_seconds: float = Field(default=2.0, gt=0, le=60)
    # Opt-in: after a crash or a lost answer, read the conversation's history for the message before
    # posting it again (never twice). Needs the history scopes in manifest.yml; README "Delivery".
    dispatch_history_check: bool = False
    # Impact results are shown to leads only for groups at least this big (never below 3).
    min_group_size: int = Field(default=DEFAULT_MIN_GROUP, ge=3, le=100)
    # A break counts as long (the leads get an alert they can act on) once it has lasted this many weeks.
    long_pause_weeks: int = Field(default=4, ge=1, le=52)

    @field_validator("encryption_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        return _split_list(value)

    @field_validator("admins", mode="before")
    @classmethod
    def _split_admins(cls, value: object) -> object:
        return _split_list(value)

    @field_validator("encryption_keys")
    @classmethod
    def _check_keys(cls, keys: list[SecretStr]) -> list[SecretStr]:
        for position, key in enumerate(keys, start=1):
            try:
                Fernet(key.get_secret_value())
            except (ValueError, TypeError):
                raise ValueError(
                    f"key {position} is not a valid Fernet key (make one with `python -m bot keygen`)"
                ) from None
        return keys

    @field_validator("log_level")
    @classmethod
    def _check_log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @field_validator("slack_api_url")
    @classmethod
    def _check_api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value if value.endswith("/") else value + "/"

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        if value.startswith("postgresql://"):
            value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
        if value.startswith("postgresql+psycopg://") and find_spec("psycopg") is None:
            raise ValueError("PostgreSQL needs its driver, psycopg, which is not installed: "
                             "pip install -e '.[postgres]' (make setup does)")
        return value

    def require_for(self, mode: Mode) -> None:
        """Stop with a clear message if a setting this mode needs is missing."""
        needed: list[tuple[str, object, str]] = []
        if mode in {"run", "serve", "worker"}:
            needed.append(("SLACK_BOT_TOKEN", self.slack_bot_token, "the bot token (xoxb-...)"))
            needed.append(("ENCRYPTION_KEYS", self.encryption_keys, "make one with `python -m bot keygen`"))
        if mode == "serve":
            needed.append(("SLACK_SIGNING_SECRET", self.slack_signing_secret, "from the app's Basic Information"))
        if mode == "run":
            needed.append(("SLACK_APP_TOKEN", self.slack_app_token, "an app-level token (xapp-...) for Socket Mode"))
        for name, value, hint in needed:
            if not value:
                raise SettingsError(f"{name} is missing: {hint}. Set it in the environment or in .env.")

    @property
    def bot_token(self) -> str:
        return self.slack_bot_token.get_secret_value() if self.slack_bot_token else ""

    @property
    def signing_secret(self) -> str:
        return self.slack_signing_secret.get_secret_value() if self.slack_signing_secret else ""

    @property
    def keys(self) -> list[str]:
        return [key.get_secret_value() for key in self.encryption_keys]

    @property
    def log_level_number(self) -> int:
        return int(getattr(logging, self.log_level))


def load_settings(**overrides: object) -> Settings:
    """Load settings, turning pydantic's report into one line that names the bad setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"{name} is invalid: {message}") from None
