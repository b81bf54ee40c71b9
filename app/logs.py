"""The process's log lines: one JSON object a line in production, plain text in development,
never an exception's message.

An exception's message can quote what it failed on (an address, a token, a row), so a
logged exception keeps only its type and its stack; each line carries the request's id and
its operation's label (``core.request_scope``) when it is logged while a request is served.
"""

from __future__ import annotations

import logging
import sys
import traceback
from datetime import UTC, datetime
from typing import IO, Any

import orjson

from core import request_scope
from core.settings import LogSettings

# Libraries whose INFO lines say nothing an operator acts on (Tortoise logs each shutdown of
# its connections, one of them while the embedded default migrates on start), and whose
# DEBUG lines quote the parameters of each query (a user's email, a password hash): kept at
# WARNING whatever LOG_LEVEL says.
QUIET_LOGGERS = ("tortoise", "aiosqlite", "asyncpg")


def _safe_exception(record: logging.LogRecord) -> dict[str, str]:
    if not record.exc_info or record.exc_info[1] is None:
        return {}
    error = record.exc_info[1]
    return {
        "exception": type(error).__name__,
        "stack": "".join(traceback.format_tb(error.__traceback__)),
    }


def _request_fields(record: logging.LogRecord) -> dict[str, str]:
    scope = request_scope.current()
    fields: dict[str, str] = {}
    request_id = getattr(record, "request_id", None) or (scope and scope.request_id)
    if request_id:
        fields["request_id"] = request_id
    operation = getattr(record, "operation", None) or (scope and scope.operation)
    if operation:
        fields["operation"] = operation
    return fields


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, and request_id, operation, exception, stack when known."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_request_fields(record),
            **_safe_exception(record),
        }
        return orjson.dumps(entry).decode()


class TextFormatter(logging.Formatter):
    """The same facts as a line for a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        # A copy without the exception: logging would print its message (or the text another
        # handler cached for it) after the line.
        bare = logging.makeLogRecord({**record.__dict__, "exc_info": None, "exc_text": None})
        line = super().format(bare)
        fields = _request_fields(record)
        if getattr(record, "request_id", None):  # the access log's line names it already
            fields.pop("request_id", None)
        if fields:
            line += " [" + " ".join(f"{key}={value}" for key, value in fields.items()) + "]"
        safe = _safe_exception(record)
        if safe:
            line += f"\n{safe['exception']} (message withheld)\n{safe['stack'].rstrip()}"
        return line


FORMATTERS: dict[str, type[logging.Formatter]] = {"json": JsonFormatter, "text": TextFormatter}


def configure_logging(settings: LogSettings, stream: IO[str] | None = None) -> logging.Handler:
    """Send every log line of the process through one handler of ours; returns it."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(FORMATTERS[settings.format]())
    root = logging.getLogger()
    for existing in list(root.handlers):
        root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(settings.level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return handler
