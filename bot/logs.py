"""Log set-up: text or one JSON object per line, with guild/command/article ids, never secrets."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

TEXT_FORMAT = "%(asctime)s %(levelname)-8s %(name)s: %(message)s"
REDACTED = "[redacted]"
CONTEXT_FIELDS = ("guild_id", "channel_id", "user_id", "command", "article_id", "shard_id")

_context: contextvars.ContextVar[Mapping[str, object] | None] = contextvars.ContextVar(
    "newsroom_log_context", default=None
)


def bind_log_context(**ids: object) -> None:
    """Add ids (guild_id, command, article_id, ...) to every record logged by this task."""
    current = dict(current_log_context())
    current.update({key: value for key, value in ids.items() if value is not None})
    _context.set(current)


@contextmanager
def log_context(**ids: object) -> Iterator[None]:
    """Add ids to every record logged inside the block."""
    token = _context.set(
        {**current_log_context(), **{k: v for k, v in ids.items() if v is not None}}
    )
    try:
        yield
    finally:
        _context.reset(token)


def current_log_context() -> Mapping[str, object]:
    """Return the ids bound to the running task."""
    return _context.get() or {}


class _Redacting(logging.Formatter):
    """A formatter that blanks out secrets wherever they appear in the finished line."""

    def __init__(self, *args: Any, secrets: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._secrets = tuple(secret for secret in secrets if len(secret) >= 8)

    def redact(self, text: str) -> str:
        """Replace every secret in `text`."""
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


class TextFormatter(_Redacting):
    """The classic one-line text format, with secrets removed."""

    def format(self, record: logging.LogRecord) -> str:
        """Format the record as text."""
        return self.redact(super().format(record))


class JsonFormatter(_Redacting):
    """One JSON object per line: time, level, logger, message, ids, exception."""

    def format(self, record: logging.LogRecord) -> str:
        """Format the record as a JSON object."""
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        context = dict(current_log_context())
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                context[name] = value
        for name in CONTEXT_FIELDS:
            if name in context:
                entry[name] = context[name]
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return self.redact(json.dumps(entry, default=str, ensure_ascii=False))


def make_formatter(log_format: str, secrets: tuple[str, ...] = ()) -> logging.Formatter:
    """Build the formatter for `text` or `json`."""
    if log_format == "json":
        return JsonFormatter(secrets=secrets)
    return TextFormatter(TEXT_FORMAT, secrets=secrets)


def install_handler(level: str, log_format: str = "text", secrets: tuple[str, ...] = ()) -> None:
    """Log to stderr at `level` (as logging.basicConfig would: only if nothing is set up yet)."""
    root = logging.getLogger()
    if root.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(make_formatter(log_format, secrets))
    root.addHandler(handler)
    root.setLevel(level)
