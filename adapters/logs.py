"""Log output, on standard error: plain text lines, or one JSON object a line for log
collectors (`serve --log-format json`, or BEHAVIOURBOT_LOG_FORMAT=json).

In the web process the writing happens off the request path: the root logger's only
handler keeps each record (its message made, so nothing it refers to can change
meanwhile), and a thread of its own formats them and writes them in one go every 50 ms.
Stopping it writes everything kept first, so nothing is lost at exit.
"""

from __future__ import annotations

import collections
import contextlib
import copy
import json
import logging
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, cast

from aiohttp.http_exceptions import HttpProcessingError

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


class _MalformedRequests(logging.Filter):
    """aiohttp's own log of a request it could not even parse (a control character in
    a header, a broken request line), which it answers 400 itself, before any route:
    an ERROR whose traceback quotes the caller's bytes. Made one fixed WARNING line,
    naming the kind of fault only; anything else aiohttp logs is left as it is."""

    def filter(self, record: logging.LogRecord) -> bool:
        fault = record.exc_info[1] if record.exc_info else None
        if isinstance(fault, HttpProcessingError):
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.msg, record.args = (
                "refused a malformed HTTP request (%s)",
                (type(fault).__name__,),
            )
            record.exc_info = record.exc_text = None
        return True


def configure(*, level: int, form: str) -> None:
    """Logs at `level` and above to standard error, in `form` (text or json)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter(form))
    logging.basicConfig(level=level, handlers=[handler])
    server = logging.getLogger("aiohttp.server")
    if not any(isinstance(f, _MalformedRequests) for f in server.filters):
        server.addFilter(_MalformedRequests())


FLUSH_EVERY = 0.05  # seconds between the writing thread's writes
MOST_KEPT = 10_000  # records kept while the stream is stalled; older ones are dropped


class _Batch(logging.Handler):
    """Keeps each record, its message made (and its traceback as text), for the writing
    thread: nothing is formatted or written on the caller's thread, and no thread is
    woken for each record (the standard QueueHandler's way cost a request about 120 µs
    of the event loop's time in the Slack benchmark; this, a few)."""

    def __init__(self) -> None:
        super().__init__()
        # bounded: a stalled stream (a full pipe) loses the oldest lines, counted, and
        # never holds the process's memory or its requests
        self.records: collections.deque[logging.LogRecord] = collections.deque(maxlen=MOST_KEPT)
        self.dropped = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:  # a copy: other handlers (pytest's) still see the traceback
            record = copy.copy(record)
            record.exc_text = record.exc_text or _TRACEBACKS.formatException(record.exc_info)
            record.exc_info = None
        record.message = record.getMessage()  # made now: what it refers to may change
        record.msg, record.args = record.message, None
        if len(self.records) == MOST_KEPT:
            self.dropped += 1
        self.records.append(record)

    def write(self, handlers: list[logging.Handler]) -> None:
        """Everything kept so far, through `handlers`; a stream's lines in one write."""
        records = []
        if self.dropped:
            dropped, self.dropped = self.dropped, 0
            lost = logging.LogRecord(
                "behaviourbot.logs",
                logging.WARNING,
                __file__,
                0,
                "%d log lines dropped: the log stream did not take them in time",
                (dropped,),
                None,
            )
            records.append(lost)
        while self.records:
            records.append(self.records.popleft())
        for handler in handlers if records else []:
            chosen = [r for r in records if r.levelno >= handler.level and handler.filter(r)]
            if type(handler).emit is not logging.StreamHandler.emit:
                for record in chosen:
                    handler.handle(record)
                continue
            stream = cast(logging.StreamHandler[Any], handler)
            text = "".join(stream.format(r) + stream.terminator for r in chosen)
            with stream.lock or contextlib.nullcontext():
                try:
                    stream.stream.write(text)
                    stream.flush()
                except Exception:  # a closed or broken stream: as logging's own would
                    for record in chosen:
                        stream.handleError(record)


_TRACEBACKS = logging.Formatter()


@contextlib.contextmanager
def written_by_a_thread() -> Iterator[threading.Thread]:
    """While the block runs, the root logger's handlers write from a thread of their
    own, every FLUSH_EVERY seconds, what was logged meanwhile; on leaving it everything
    kept is written, and the handlers are the root logger's again."""
    root = logging.getLogger()
    handlers = list(root.handlers)
    batch = _Batch()
    stop = threading.Event()

    def write_forever() -> None:
        while not stop.wait(FLUSH_EVERY):
            batch.write(handlers)
        batch.write(handlers)  # what is left when told to stop

    writer = threading.Thread(target=write_forever, name="log-writer", daemon=True)
    writer.start()
    for handler in handlers:
        root.removeHandler(handler)
    root.addHandler(batch)
    try:
        yield writer
    finally:
        root.removeHandler(batch)
        stop.set()
        writer.join()  # everything kept is written, then the handlers are the root's again
        for handler in handlers:
            root.addHandler(handler)
