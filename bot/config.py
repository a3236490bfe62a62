"""Settings from the environment and an optional ``.env`` file; read here and nowhere else."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Final, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
HEALTH_PATH: Final = "/healthz"
DEFAULT_WEBHOOK_PATH: Final = "/telegram"
#: The embassy's Exchange Programs page: "Further details will appear on this page as the time for application
#: approaches", so the bot watches it.
EMBASSY_PAGE: Final = "https://www.be.emb-japan.go.jp/itpr_en/study_exchange.html"
#: What Telegram accepts as a webhook secret_token.
WEBHOOK_SECRET_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{1,256}")


def settings_problem(error: ValidationError) -> str:
    """A settings error as one line naming each setting and what it accepts, e.g. ``WEBHOOK_URL: must be the
    bot's public address…`` (pydantic's own report spans many lines and ends in a traceback)."""
    parts = []
    for item in error.errors(include_url=False):
        name = "_".join(str(part) for part in item["loc"]).upper() or "settings"
        message = str(item["msg"]).removeprefix("Value error, ")
        if name.lower() not in message.lower():
            message = f"{name}: {message}"
        parts.append(message)
    return "; ".join(parts) + " (see .env.example)"


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
    question_retention_days: int = Field(default=90, ge=1, description="How long anonymised questions are kept.")
    alert_check_seconds: int = Field(default=60, ge=1, description="How often due alerts are looked for.")
    send_rate_per_second: float = Field(
        default=30, gt=0, le=1000, description="Messages a second sent at most overall (Telegram's free limit: 30)."
    )
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0"  # inside a container the webhook listens on all interfaces
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    health_port: int | None = Field(
        default=None, ge=1, le=65535, description="Where /healthz is served besides the webhook server; unset: nowhere."
    )
    watch_url: str | None = Field(
        default=EMBASSY_PAGE, description="The page watched for changes staff may pass on; empty: not watched."
    )
    watch_interval_seconds: int = Field(default=86400, ge=60, description="How often the watched page is fetched.")
    reload_timeout_seconds: float = Field(
        default=30, gt=0, le=600, description="How long /reload and SIGHUP may take before the old knowledge is kept."
    )
    console_user_id: int = Field(
        default=1, ge=1, description="Who types in the console chat: list it in ADMIN_IDS to try the staff commands."
    )
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"

    @field_validator(
        "telegram_bot_token", "webhook_secret", "webhook_url", "database_url", "health_port", "watch_url", mode="before"
    )
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

    @field_validator("webhook_url")
    @classmethod
    def _check_webhook_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("https", "http") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError(
                f"WEBHOOK_URL must be the bot's public address, e.g. https://bot.example.org/telegram, got {value!r}"
            )
        if parts.path.rstrip("/") == HEALTH_PATH:
            raise ValueError(f"WEBHOOK_URL cannot end in {HEALTH_PATH}: that path is the health endpoint")
        return value.strip()

    @field_validator("watch_url")
    @classmethod
    def _check_watch_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(
                f"WATCH_URL must be the address of a web page, e.g. {EMBASSY_PAGE}, or empty to watch none,"
                f" got {value!r}"
            )
        return value.strip()

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
    def webhook_path(self) -> str:
        """The path Telegram posts updates to: WEBHOOK_URL's path, or ``/telegram`` when it has none."""
        path = urlsplit(self.webhook_url or "").path.rstrip("/")
        return path or DEFAULT_WEBHOOK_PATH

    @property
    def webhook_address(self) -> str | None:
        """The address given to Telegram's setWebhook: WEBHOOK_URL, with ``/telegram`` when it has no path."""
        if self.webhook_url is None:
            return None
        parts = urlsplit(self.webhook_url)
        return urlunsplit(parts._replace(path=self.webhook_path))

    @property
    def telegram_api_base_file_url(self) -> str:
        """The file-download address that goes with ``telegram_api_base_url``."""
        base = self.telegram_api_base_url.rstrip("/")
        return base[: -len("/bot")] + "/file/bot" if base.endswith("/bot") else base + "/file/bot"
