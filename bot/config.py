"""Settings from the environment and an optional ``.env`` file; read here and nowhere else."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Every setting is documented in ``.env.example``."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = Field(
        default="https://api.telegram.org/bot",
        description="python-telegram-bot's base_url form: the token and method are appended.",
    )
    data_dir: Path = Path("data")
    database_url: str | None = None
    knowledge_dir: Path = PROJECT_ROOT / "knowledge"
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    timezone: str = "Europe/Brussels"
    alert_reminder_days: Annotated[tuple[int, ...], NoDecode] = (7, 1)
    alert_check_seconds: int = Field(default=60, ge=1, description="How often due alerts are looked for.")
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0"  # inside a container the webhook listens on all interfaces
    webhook_port: int = 8080
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"

    @field_validator("telegram_bot_token", "webhook_secret", "webhook_url", "database_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _parse_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [part.strip() for part in value.split(",") if part.strip()]
            try:
                return frozenset(int(part) for part in parts)
            except ValueError as exc:
                raise ValueError(f"ADMIN_IDS must be comma-separated Telegram user ids, got {value!r}") from exc
        return value

    @field_validator("alert_reminder_days", mode="before")
    @classmethod
    def _parse_days(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                days = sorted({int(part) for part in value.split(",") if part.strip()}, reverse=True)
            except ValueError as exc:
                raise ValueError(f"ALERT_REMINDER_DAYS must be comma-separated days, got {value!r}") from exc
            if any(day < 0 for day in days):
                raise ValueError(f"ALERT_REMINDER_DAYS must be days before the deadline (0 or more), got {value!r}")
            return tuple(days)
        return value

    @property
    def telegram_api_base_file_url(self) -> str:
        """The file-download address that goes with ``telegram_api_base_url``."""
        base = self.telegram_api_base_url.rstrip("/")
        return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base + "/file/bot"
