"""Settings read from the environment: parsing, defaults, and a token that never prints."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import PROJECT_ROOT, Settings

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch):
    """No setting leaks in from the machine running the tests."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)


def settings() -> Settings:
    """Settings from the environment only, never from a .env file."""
    return Settings(_env_file=None)


def test_defaults():
    """With nothing set, the bot runs as a console chat with the documented defaults."""
    loaded = settings()

    assert loaded.telegram_bot_token is None
    assert loaded.telegram_api_base_url == "https://api.telegram.org/bot"
    assert loaded.admin_ids == frozenset()
    assert loaded.alert_reminder_days == (7, 1)
    assert loaded.knowledge_dir == PROJECT_ROOT / "knowledge"
    assert loaded.data_dir == Path("data")
    assert loaded.timezone == "Europe/Brussels"
    assert (loaded.webhook_url, loaded.webhook_secret, loaded.database_url) == (None, None, None)
    assert (loaded.log_level, loaded.log_format) == ("INFO", "text")


@pytest.mark.parametrize(
    ("value", "ids"),
    [
        ("1, 2", {1, 2}),
        ("1,2", {1, 2}),
        (" 42 ", {42}),
        ("7,7", {7}),
        ("1,,2,", {1, 2}),
        ("123456789, 987654321", {123456789, 987654321}),
        ("", set()),
        ("  ", set()),
    ],
)
def test_admin_ids_are_comma_separated(monkeypatch, value, ids):
    """ADMIN_IDS is a comma-separated list of Telegram user ids, blanks and repeats tolerated."""
    monkeypatch.setenv("ADMIN_IDS", value)

    assert settings().admin_ids == frozenset(ids)


@pytest.mark.parametrize("value", ["abc", "1, two", "1;2", "[1, 2]", "1.5", "@embassy_staff"])
def test_bad_admin_ids_are_refused_naming_the_setting(monkeypatch, value):
    """A value that is not a list of ids is refused with an error that names ADMIN_IDS and the value."""
    monkeypatch.setenv("ADMIN_IDS", value)

    with pytest.raises(ValidationError) as caught:
        settings()

    (error,) = caught.value.errors()
    assert error["loc"] == ("admin_ids",)
    assert "ADMIN_IDS must be comma-separated Telegram user ids" in error["msg"]
    assert repr(value) in error["msg"]


@pytest.mark.parametrize(
    ("value", "days"),
    [
        ("7,1", (7, 1)),
        ("1, 7", (7, 1)),
        ("14,7,3,1", (14, 7, 3, 1)),
        ("3,7,3", (7, 3)),
        ("0", (0,)),
        ("", ()),
    ],
)
def test_alert_reminder_days_are_sorted_from_earliest_reminder(monkeypatch, value, days):
    """ALERT_REMINDER_DAYS become distinct days before a deadline, largest first."""
    monkeypatch.setenv("ALERT_REMINDER_DAYS", value)

    assert settings().alert_reminder_days == days


@pytest.mark.parametrize("value", ["x", "7,one", "7 1", "1.5"])
def test_bad_alert_reminder_days_are_refused_naming_the_setting(monkeypatch, value):
    """A value that is not a list of whole days is refused with an error naming ALERT_REMINDER_DAYS."""
    monkeypatch.setenv("ALERT_REMINDER_DAYS", value)

    with pytest.raises(ValidationError) as caught:
        settings()

    (error,) = caught.value.errors()
    assert error["loc"] == ("alert_reminder_days",)
    assert "ALERT_REMINDER_DAYS must be comma-separated days" in error["msg"]


def test_negative_alert_reminder_days_are_refused(monkeypatch):
    """A reminder 'before a deadline' cannot be a negative number of days."""
    monkeypatch.setenv("ALERT_REMINDER_DAYS", "7,-3")

    with pytest.raises(ValidationError, match="ALERT_REMINDER_DAYS"):
        settings()


@pytest.mark.parametrize("name", ["TELEGRAM_BOT_TOKEN", "WEBHOOK_SECRET", "WEBHOOK_URL", "DATABASE_URL"])
@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_a_blank_optional_setting_is_unset(monkeypatch, name, blank):
    """An optional setting left blank, as in .env.example, counts as not set."""
    monkeypatch.setenv(name, blank)

    assert getattr(settings(), name.lower()) is None


def test_the_token_is_read_as_a_secret(monkeypatch):
    """The token is available to the code that needs it, as a secret."""
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)

    token = settings().telegram_bot_token

    assert token is not None
    assert token.get_secret_value() == TOKEN


@pytest.mark.parametrize(
    "show",
    [repr, str, lambda s: s.model_dump_json(), lambda s: str(s.model_dump()), lambda s: f"{s}"],
    ids=["repr", "str", "json", "dump", "f-string"],
)
def test_the_token_and_webhook_secret_never_print(monkeypatch, show):
    """repr, str and dumps of the settings (as in logs or tracebacks) never contain the token or secret."""
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("WEBHOOK_SECRET", "webhook-secret-value")

    shown = show(settings())

    assert TOKEN not in shown
    assert TOKEN.split(":")[1] not in shown
    assert "webhook-secret-value" not in shown


def test_the_token_does_not_print_in_a_validation_error(monkeypatch):
    """When another setting is wrong, the error message shows that setting, never the token."""
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("ADMIN_IDS", "abc")

    with pytest.raises(ValidationError) as caught:
        settings()

    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    ("base_url", "file_url"),
    [
        ("https://api.telegram.org/bot", "https://api.telegram.org/file/bot"),
        ("https://api.telegram.org/bot/", "https://api.telegram.org/file/bot"),
        ("http://127.0.0.1:8081/bot", "http://127.0.0.1:8081/file/bot"),
        ("http://localhost:8081", "http://localhost:8081/file/bot"),
        ("http://localhost:8081/", "http://localhost:8081/file/bot"),
    ],
)
def test_the_file_url_follows_the_api_url(monkeypatch, base_url, file_url):
    """The file-download address is derived from TELEGRAM_API_BASE_URL, for Telegram or a local Bot API server."""
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", base_url)

    assert settings().telegram_api_base_file_url == file_url


def test_paths_and_numbers_are_parsed(monkeypatch, tmp_path):
    """Folders become paths and the webhook port a number."""
    monkeypatch.setenv("KNOWLEDGE_DIR", str(tmp_path / "kb"))
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("WEBHOOK_PORT", "8443")

    loaded = settings()

    assert (loaded.knowledge_dir, loaded.data_dir, loaded.webhook_port) == (tmp_path / "kb", tmp_path / "data", 8443)


@pytest.mark.parametrize(("name", "value"), [("LOG_FORMAT", "xml"), ("WEBHOOK_PORT", "eighty")])
def test_invalid_values_are_refused_naming_the_setting(monkeypatch, name, value):
    """An invalid log format or port is refused with an error located at that setting."""
    monkeypatch.setenv(name, value)

    with pytest.raises(ValidationError) as caught:
        settings()

    assert [error["loc"] for error in caught.value.errors()] == [(name.lower(),)]


def test_an_env_file_is_read(monkeypatch, tmp_path):
    """Settings come from a .env file too, and the environment wins over it."""
    env_file = tmp_path / ".env"
    env_file.write_text("ADMIN_IDS=5,6\nALERT_REMINDER_DAYS=3\nTIMEZONE=Asia/Tokyo\n", encoding="utf-8")
    monkeypatch.setenv("TIMEZONE", "Europe/Brussels")

    loaded = Settings(_env_file=env_file)

    assert (loaded.admin_ids, loaded.alert_reminder_days, loaded.timezone) == (
        frozenset({5, 6}),
        (3,),
        "Europe/Brussels",
    )


ENV_EXAMPLE = PROJECT_ROOT / ".env.example"
#: Read by compose.yaml, not by the bot.
COMPOSE_ONLY = {"POSTGRES_PASSWORD"}


def env_example_settings() -> dict[str, int]:
    """Each ``NAME=`` line of .env.example (commented out or not) with its line index."""
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    found = {}
    for index, line in enumerate(lines):
        name, equals, _ = line.removeprefix("# ").partition("=")
        if equals and name.isupper() and " " not in name:
            found[name] = index
    return found


def test_every_setting_is_in_env_example_with_a_comment():
    """Each field of Settings appears in .env.example, under a comment saying what it is; nothing else is there but
    the compose file's own."""
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    listed = env_example_settings()
    fields = {name.upper() for name in Settings.model_fields}
    assert sorted(fields - listed.keys()) == []
    assert sorted(listed.keys() - fields - COMPOSE_ONLY) == []
    for name, index in listed.items():
        above = index - 1
        while above >= 0 and lines[above].removeprefix("# ").partition("=")[0] in listed:
            above -= 1  # a setting grouped under its neighbour's comment
        comment = lines[above] if above >= 0 else ""
        assert comment.startswith("# "), f"{name} has no comment above it"


def test_env_example_is_a_valid_configuration():
    """Copied to .env as it is, the example starts the bot in the console (no token) with the defaults."""
    loaded = Settings(_env_file=ENV_EXAMPLE)

    assert loaded.telegram_bot_token is None
    assert loaded.reload_timeout_seconds == Settings.model_fields["reload_timeout_seconds"].default
