"""Log output, on standard error: plain text lines, or one JSON object a line for log
collectors (`serve --log-format json`, or BEHAVIOURBOT_LOG_FORMAT=json).

In the web process the writing happens off the request path: the root logger's only
handler puts each record on a queue (its message made, so nothing it refers to can
change meanwhile), and a thread of its own formats and writes them. Stopping it writes
everything queued first, so nothing is lost at exit.
"""

from __future__ import annotations

import contextlib
import copy
import json
import logging
import queue
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from logging.handlers import QueueHandler, QueueListener
from typing import Any

FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
# What every record carries: anything else on one is a structured field (`extra=`).
_STANDARD = {
    *vars(logging.LogRecord("", 0, "", 0, "", None, None)),
    "message",
    "asctime",
    "taskName",
}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, then any
    structured fields, the traceback as `exception`. JSON's escaping keeps whatever a
    message holds (line breaks, quotes, terminal escapes) inside its string: no value
    can start a line or a field of its own, and no structured field replaces the four."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD:
                data.setdefault(key, value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            data.setdefault("exception", record.exc_text)
        if record.stack_info:
            data.setdefault("stack", self.formatStack(record.stack_info))
        return json.dumps(data, ensure_ascii=True, default=str)


def formatter(form: str) -> logging.Formatter:
    """The formatter for `form`, one of FORMATS."""
    return JsonFormatter() if form == "json" else logging.Formatter(TEXT_FORMAT)


def configure(*, level: int, form: str) -> None:
    """Logs at `level` and above to standard error, in `form` (text or json)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(form))
    logging.basicConfig(level=level, handlers=[handler])


class _Enqueue(QueueHandler):
    """Puts a copy of each record on the queue with its message made and its traceback
    as text, formatting nothing else: that is the writing thread's work."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        record = copy.copy(record)
        record.message = record.getMessage()
        record.msg, record.args = record.message, None
        if record.exc_info:
            record.exc_text = record.exc_text or _TRACEBACKS.formatException(record.exc_info)
            record.exc_info = None
        return record


_TRACEBACKS = logging.Formatter()


@contextlib.contextmanager
def written_by_a_thread() -> Iterator[QueueListener]:
    """While the block runs, the root logger's handlers write from a thread of their
    own, fed by a queue; on leaving it everything queued is written, and the handlers
    are the root logger's again."""
    root = logging.getLogger()
    handlers = list(root.handlers)
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    enqueue = _Enqueue(records)
    listener = QueueListener(records, *handlers, respect_handler_level=True)
    listener.start()
    for handler in handlers:
        root.removeHandler(handler)
    root.addHandler(enqueue)
    try:
        yield listener
    finally:
        root.removeHandler(enqueue)
        for handler in handlers:
            root.addHandler(handler)
        listener.stop()  # what is queued is written, then the thread ends
