"""LOG_FORMAT chooses the formatter (JSON in production, text in development); neither
prints what an exception says, only its type and stack."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import orjson
import pytest

from app.logs import configure_logging
from core.settings import ConfigurationError, LogSettings

SECRET = "reset token 7d1f-pii for olga@example.org"


@pytest.fixture
def restored_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


@pytest.mark.parametrize(
    ("environment", "chosen"),
    [
        ({"MENTOR_ENV": "production"}, "json"),
        ({"DATABASE_URL": "postgres://db.internal/mentor"}, "json"),
        ({"MENTOR_ENV": "development"}, "text"),
        ({"MENTOR_ENV": "production", "LOG_FORMAT": "text"}, "text"),
        ({"MENTOR_ENV": "development", "LOG_FORMAT": "JSON"}, "json"),
    ],
)
def test_the_log_format_follows_the_environment(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], chosen: str
) -> None:
    for name in ("MENTOR_ENV", "DATABASE_URL", "LOG_FORMAT", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert LogSettings.from_env() == LogSettings(format=chosen, level="INFO")


def test_an_unknown_log_format_or_level_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(ConfigurationError, match="LOG_FORMAT must be json or text"):
        LogSettings.from_env()
    monkeypatch.setenv("LOG_FORMAT", "json")
    monkeypatch.setenv("LOG_LEVEL", "chatty")
    with pytest.raises(ConfigurationError, match="LOG_LEVEL must be one of"):
        LogSettings.from_env()


def _log_a_failure() -> None:
    try:
        raise ValueError(SECRET)
    except ValueError:
        logging.getLogger("mentor_api.example").exception("sending mail failed")


@pytest.mark.usefixtures("restored_logging")
def test_a_json_line_names_the_exception_and_its_stack_not_its_message() -> None:
    buffer = io.StringIO()
    configure_logging(LogSettings(format="json"), stream=buffer)
    _log_a_failure()
    [line] = buffer.getvalue().splitlines()
    entry = orjson.loads(line)
    assert entry["level"] == "ERROR"
    assert entry["logger"] == "mentor_api.example"
    assert entry["message"] == "sending mail failed"
    assert entry["exception"] == "ValueError"
    assert "_log_a_failure" in entry["stack"]
    assert "7d1f-pii" not in line


@pytest.mark.usefixtures("restored_logging")
def test_a_text_line_withholds_the_message_too() -> None:
    buffer = io.StringIO()
    configure_logging(LogSettings(format="text"), stream=buffer)
    _log_a_failure()
    text = buffer.getvalue()
    assert "ERROR mentor_api.example sending mail failed" in text
    assert "ValueError (message withheld)" in text
    assert "_log_a_failure" in text
    assert "7d1f-pii" not in text
