"""Structured JSON logs: every line carries the request id bound in contextvars."""

import json
import logging
from datetime import UTC, datetime

import structlog
from structlog.processors import _json_fallback_handler

SHARED_PROCESSORS = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.ExtraAdder(),
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]

# What every LogRecord has; anything else on a record came from `extra`.
_RECORD_KEYS = frozenset(
    logging.LogRecord("name", 0, "pathname", 0, "msg", (), None).__dict__
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, the same for stdlib and structlog records.

    A plain stdlib record (every `logger.info(…, extra=…)` of the hot paths) is
    written here straight: the message, the context variables, the extras,
    level, logger and timestamp, in that order, exactly as structlog's
    processor chain writes them (tests/platform/test_request_id.py compares
    the two), at a fraction of its cost (about 20 µs a line instead of 100+).
    Records from structlog loggers, and any with a traceback or stack, go
    through structlog's ProcessorFormatter."""

    def __init__(self) -> None:
        super().__init__()
        self.structlog = structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(),
            ],
            foreign_pre_chain=SHARED_PROCESSORS,
        )

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info or record.stack_info or hasattr(record, "_logger"):
            return self.structlog.format(record)
        line = {"event": record.getMessage()}
        for key, value in structlog.contextvars.get_contextvars().items():
            line.setdefault(key, value)
        for key, value in record.__dict__.items():
            if key not in _RECORD_KEYS:
                line[key] = value
        line["level"] = record.levelname.lower()
        line["logger"] = record.name
        line["timestamp"] = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        return json.dumps(line, default=_json_fallback_handler)


def json_formatter() -> logging.Formatter:
    """The formatter for every handler: stdlib and structlog records alike."""
    return JsonFormatter()


def configure_structlog() -> None:
    structlog.configure(
        processors=[
            *SHARED_PROCESSORS,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )


configure_structlog()
