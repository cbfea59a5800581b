"""The single exit for our own failures: count them, log each kind once in a while, go on.

Telemetry must never break the host application, so every hook of ours catches its errors and
hands them here. In strict mode (our test suite, or a host app's CI) they are raised instead,
so bugs cannot hide behind the log.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter

from otel_product_events.config import SETTINGS
from otel_product_events.errors import ProductEventsError

_log = logging.getLogger("otel_product_events")

#: Seconds between two log lines of the same kind; repeats in between are only counted.
LOG_INTERVAL_S = 60.0


class _State:
    def __init__(self) -> None:
        # Re-entrant: a signal handler that emits may interrupt this thread inside count().
        self.lock = threading.RLock()
        self.counts: Counter[str] = Counter()
        self.last_logged: dict[str, float] = {}
        self.suppressed: Counter[str] = Counter()
        self.strict = SETTINGS.strict


_state = _State()


def set_strict(strict: bool) -> None:
    """In strict mode internal errors and dropped data raise :class:`ProductEventsError`."""
    _state.strict = strict


def is_strict() -> bool:
    return _state.strict


def count(counter: str, n: int = 1) -> None:
    """Adds ``n`` to a named counter reported by :func:`stats`."""
    with _state.lock:
        _state.counts[counter] += n


def warn(kind: str, message: str, *args: object) -> None:
    """Logs a warning of ``kind`` at most once per :data:`LOG_INTERVAL_S`, counting repeats.

    ``message`` must never contain attribute values: they may be private.
    """
    now = time.monotonic()
    with _state.lock:
        last = _state.last_logged.get(kind)
        if last is not None and now - last < LOG_INTERVAL_S:
            _state.suppressed[kind] += 1
            return
        _state.last_logged[kind] = now
        repeats = _state.suppressed.pop(kind, 0)
    suffix = f" ({repeats} similar messages suppressed)" if repeats else ""
    _log.warning(message + suffix, *args)


def internal_error(kind: str, error: BaseException) -> None:
    """Reports a failure inside the library. Raises only in strict mode."""
    if isinstance(error, ProductEventsError):
        raise error  # already a strict-mode verdict (e.g. the catalog policy): pass it on
    count("internal_errors")
    if _state.strict:
        raise ProductEventsError(f"otel_product_events internal error in {kind}") from error
    # Only the type is logged at WARNING: an exception message may quote a private value.
    warn(
        "internal:" + kind,
        "otel_product_events: internal error in %s (%s). Your code still runs, with less "
        "telemetry. Enable DEBUG logging of 'otel_product_events' for the traceback.",
        kind,
        type(error).__name__,
    )
    _log.debug("internal error in %s", kind, exc_info=error)


def dropped_attribute(kind: str, message: str, *args: object) -> None:
    """Reports an attribute that could not be read or sent; the event goes out without it."""
    count("attributes_dropped")
    warn("dropped:" + kind, message, *args)


def snapshot() -> dict[str, int]:
    """A copy of every counter."""
    with _state.lock:
        return dict(_state.counts)


def reset_for_tests() -> None:
    """Forgets counters and rate-limit windows (test isolation only)."""
    with _state.lock:
        _state.counts.clear()
        _state.last_logged.clear()
        _state.suppressed.clear()
