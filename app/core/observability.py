"""Request ids, structured JSON logs and Prometheus metrics.

Each request takes its X-Request-ID (when it is a sane token) or gets a new one, echoes it back
and logs one JSON line (applied by app/core/edge.py). Metrics are per process: with several workers, /metrics answers with the
counts of the worker that took the request (no multiprocess aggregation is set up).
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import itertools
import json
import logging
import logging.handlers
import os
import re
import sys
import threading
import time
from collections import deque
from queue import Queue
from typing import Any

from prometheus_client import Counter, Gauge, Histogram
from starlette.types import Scope

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
# The id is also kept in the ASGI scope: Starlette runs the handler of unexpected errors (500)
# outside this middleware, after the context variable has been reset.
REQUEST_ID_SCOPE_KEY = "madoguchi.request_id"
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

HTTP_REQUESTS = Counter(
    "madoguchi_http_requests_total", "HTTP requests", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "madoguchi_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
MATCH_LATENCY = Histogram(
    "madoguchi_match_seconds",
    "In-process matcher latency",
    buckets=(0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05),
)
MATCH_OUTCOMES = Counter("madoguchi_match_outcomes_total", "Match results by outcome", ["outcome"])
SNAPSHOT_VERSION = Gauge("madoguchi_snapshot_version", "Directory snapshot version served")


TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"


def json_line(
    at: float, level: str, logger: str, message: str, request_id: str, fields: dict[str, Any]
) -> str:
    """One log line: what every line carries, then the line's own fields (the one format of
    the application's logs and of the access log)."""
    entry: dict[str, Any] = {
        "time": time.strftime(TIME_FORMAT, time.localtime(at)),
        "level": level,
        "logger": logger,
        "message": message,
        "request_id": request_id,
        **fields,
    }
    return json.dumps(entry, ensure_ascii=False)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = getattr(record, "fields", None)
        extra: dict[str, Any] = dict(fields) if isinstance(fields, dict) else {}
        if record.exc_info:
            extra["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            extra["exception"] = record.exc_text
        return json_line(
            record.created,
            record.levelname.lower(),
            record.name,
            record.getMessage(),
            getattr(record, "request_id", None) or REQUEST_ID.get(),
            extra,
        )


class _Enqueue(logging.handlers.QueueHandler):
    """Hands a record to the writer thread as it is: formatting (JSON, the time) and the write
    to stderr happen there, not on the event loop. The request id is taken now, while the
    request's context is current."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get()
        if record.exc_info:  # the traceback is formatted now: its frames may change later
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        return record


_listener: logging.handlers.QueueListener | None = None


def configure_logging(level: str) -> None:
    """JSON lines on stderr, written by one background thread (a QueueListener) so that the
    event loop only builds the record; stopped, and the queue drained, at exit."""
    global _listener
    logger = logging.getLogger("madoguchi")
    if not any(isinstance(h, _Enqueue) for h in logger.handlers):
        queue: Queue[logging.LogRecord] = Queue()
        writer = logging.StreamHandler(sys.stderr)
        writer.setFormatter(JsonFormatter())
        _listener = logging.handlers.QueueListener(queue, writer)
        _listener.start()
        atexit.register(flush_logs)
        logger.addHandler(_Enqueue(queue))
    logger.setLevel(level.upper())
    logger.propagate = False


def flush_logs() -> None:
    """Write every queued line now (at exit, and where a test reads the log)."""
    global _listener
    ACCESS_LOG.flush()
    if _listener is not None:
        listener, _listener = _listener, None
        listener.stop()
        listener.start()
        _listener = listener


access_log = logging.getLogger("madoguchi.access")


class AccessLineFormat:
    """The access log's line, what `json_line` writes for it, at a fraction of the cost (it runs
    once per request, and its thread shares the interpreter with the event loop): the time is
    formatted once a second, the method and route once per pair; the request id is one of ours
    or passed `_VALID_ID` (no character that JSON would escape)."""

    MAX_PAIRS = 1024

    def __init__(self) -> None:
        self._second = -1
        self._time = ""
        self._pairs: dict[tuple[str, str], str] = {}

    def line(
        self, at: float, request_id: str, method: str, route: str, status: int, ms: float
    ) -> str:
        second = int(at)
        if second != self._second:
            self._second = second
            self._time = time.strftime(TIME_FORMAT, time.localtime(at))
        pair = self._pairs.get((method, route))
        if pair is None:
            pair = json.dumps({"method": method, "route": route}, ensure_ascii=False)[1:-1]
            if len(self._pairs) < self.MAX_PAIRS:
                self._pairs[(method, route)] = pair
        return (
            f'{{"time": "{self._time}", "level": "info", "logger": "{access_log.name}", '
            f'"message": "request", "request_id": "{request_id}", {pair}, '
            f'"status": {status}, "duration_ms": {round(ms, 2)}}}'
        )


class AccessLog:
    """The one JSON line per request, the same as the application's logs write, at a cost the
    request path hardly notices: a request appends a tuple, and a thread formats and writes
    what has gathered every `interval` seconds (a record through `logging` and a wake-up of
    the writer per request cost more than the rest of a /healthz). Written on stderr, like the
    other logs; obeys the level of the `madoguchi.access` logger (LOG_LEVEL)."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self._pending: deque[tuple[float, str, str, str, int, float]] = deque()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._format = AccessLineFormat()

    def record(self, request_id: str, method: str, route: str, status: int, ms: float) -> None:
        self._pending.append((time.time(), request_id, method, route, status, ms))
        if self._thread is None:
            self._start()

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="access-log", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            time.sleep(self.interval)
            self.flush()

    def flush(self) -> None:
        with self._lock:
            lines = []
            while self._pending:
                lines.append(self._format.line(*self._pending.popleft()) + "\n")
            if lines:
                with contextlib.suppress(OSError, ValueError):  # a closed stderr at exit
                    sys.stderr.write("".join(lines))
                    sys.stderr.flush()


ACCESS_LOG = AccessLog()


class RequestMetrics:
    """The two per-request metrics, with each label set's child looked up once (`labels()`
    costs more than the increment itself)."""

    MAX_CHILDREN = 4096

    def __init__(self) -> None:
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status)
        children = self._children.get(key)
        if children is None:
            children = (
                HTTP_REQUESTS.labels(method, route, str(status)),
                HTTP_LATENCY.labels(method, route),
            )
            if len(self._children) < self.MAX_CHILDREN:
                self._children[key] = children
        children[0].inc()
        children[1].observe(seconds)


REQUEST_METRICS = RequestMetrics()


def request_id_of(scope: Scope) -> str:
    """The request id of a request, also where the context variable is no longer set."""
    value = scope.get(REQUEST_ID_SCOPE_KEY)
    return value if isinstance(value, str) else REQUEST_ID.get()


# A new request id: this process's random prefix and a counter, 32 hex digits like a UUID's hex,
# unique across workers and restarts without a system call per request.
_ID_PREFIX = os.urandom(8).hex()
_ID_COUNTER = itertools.count(int.from_bytes(os.urandom(4), "big"))


def new_request_id() -> str:
    return f"{_ID_PREFIX}{next(_ID_COUNTER) & 0xFFFFFFFFFFFFFFFF:016x}"


def valid_request_id(value: str) -> bool:
    """Whether a client's X-Request-ID may be used as it is (and written in a log unescaped)."""
    return bool(_VALID_ID.match(value))
