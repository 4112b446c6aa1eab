"""Where a server's own log records go: stderr or a size-rotated file, as text or as one JSON object per line.

KServe and uvicorn configure their loggers only when the ``kserve`` logger has no handler yet, so configuring
them here first makes every record of the process (KServe's, uvicorn's access log, logad's) use one handler.
"""

from __future__ import annotations

import argparse
import json
import logging
import logging.handlers
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from logad.errors import ConfigError

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s.%(msecs)03d %(process)s %(name)s %(levelname)s %(message)s"
# Fields a record carries when logad's code passes them as ``extra``: they become JSON keys of the line.
CONTEXT_FIELDS = ("tenant", "request_id", "method", "path", "status")
# Loggers that KServe and uvicorn give handlers of their own; they get the shared one instead.
_OWN_HANDLERS = ("kserve", "kserve.trace", "uvicorn", "uvicorn.access")


def _count(low: int) -> type[int]:
    """An argparse type: an integer of at least ``low``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if value < low:
            raise argparse.ArgumentTypeError(f"expected an integer >= {low}, got {text!r}")
        return value

    return parse


@dataclass(frozen=True)
class LogSettings:
    """Records as ``text`` or ``json``; to ``file`` (rotated at ``max_bytes``, ``backups`` kept) or stderr."""

    format: str = "text"
    file: Path | None = None
    max_bytes: int = 10 * 1024 * 1024
    backups: int = 5


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, message, the context fields it carries
    and, for a record with an exception, its traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line.update({name: getattr(record, name) for name in CONTEXT_FIELDS if hasattr(record, name)})
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def configure_logging(settings: LogSettings) -> None:
    """Send every record at INFO and above to the handler ``settings`` describe; ConfigError when its file cannot be
    written."""
    if settings.file is None:
        handler: logging.Handler = logging.StreamHandler(sys.stderr)
    else:
        try:
            settings.file.parent.mkdir(parents=True, exist_ok=True)
            handler = logging.handlers.RotatingFileHandler(
                settings.file, maxBytes=settings.max_bytes, backupCount=settings.backups, encoding="utf-8"
            )
        except OSError as exc:
            raise ConfigError(f"cannot write the log file {settings.file}: {exc.strerror or exc}") from None
    text = logging.Formatter(TEXT_FORMAT, "%Y-%m-%d %H:%M:%S")
    handler.setFormatter(JsonFormatter() if settings.format == "json" else text)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(logging.INFO)
    for name in _OWN_HANDLERS:
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.propagate = False
        logger.setLevel(logging.INFO)
    logging.captureWarnings(True)


def add_logging_arguments(parser: argparse.ArgumentParser, format_flag: str) -> None:
    """The log record format (as ``format_flag``: the transformer's ``--log-format`` names the raw lines' format),
    and the rotation of log files."""
    group = parser.add_argument_group("server logs")
    group.add_argument(
        format_flag, dest="logging_format", choices=FORMATS, default="text", help="text lines or one JSON object each"
    )
    group.add_argument("--log-max-bytes", type=_count(1), default=LogSettings.max_bytes, help="rotate log files here")
    group.add_argument("--log-backups", type=_count(0), default=LogSettings.backups, help="rotated log files kept")


def log_settings(args: argparse.Namespace, file: Path | None) -> LogSettings:
    """What ``add_logging_arguments`` parsed, for records written to ``file`` (stderr when None)."""
    return LogSettings(args.logging_format, file, args.log_max_bytes, args.log_backups)
