"""Emitting while this thread is already emitting: from a signal handler (a realistic
``app.stopped`` on SIGTERM), a finalizer or a logging handler that runs in the middle of an
``emit``. The interrupted emit may hold a lock (the export counters', the batch queue's) that
the inner one would wait for forever, so the inner call never takes one: it is deferred, put on
a bounded queue (``deque.append`` takes no Python lock), and the outer call emits it as it
returns. A full queue drops the event and counts it (``events_dropped_reentrant``).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Final

from otel_product_events import guard

#: Events waiting for the interrupted emit to return; beyond it they are dropped and counted.
MAX_DEFERRED: Final = 1024


class _Thread(threading.local):
    """Per thread: re-entry happens within one thread, and its deferred events are emitted
    by that thread, in its own context (spans, product context)."""

    def __init__(self) -> None:
        self.busy = False
        self.draining = False
        self.deferred: deque[tuple[Callable[..., None], tuple[object, ...]]] = deque()


_thread = _Thread()
#: Dropped while re-entered; moved to the guard's counters (which take a lock) later.
_dropped = [0]


def enter() -> bool:
    """Marks this thread as emitting; False if it already is (the caller must :func:`defer`)."""
    if _thread.busy:
        return False
    _thread.busy = True
    return True


def defer(function: Callable[..., None], *args: object) -> None:
    """Queues ``function(*args)`` for when the emit in progress returns. Takes no lock."""
    deferred = _thread.deferred
    if len(deferred) >= MAX_DEFERRED:
        _dropped[0] += 1
        return
    deferred.append((function, args))


def leave() -> None:
    """Ends :func:`enter`; then emits what was deferred meanwhile."""
    _thread.busy = False
    if (_thread.deferred or _dropped[0]) and not _thread.draining:
        _drain()


def _drain() -> None:
    _thread.draining = True
    try:
        dropped = _dropped[0]
        if dropped:
            _dropped[0] -= dropped
            guard.count("events_dropped_reentrant", dropped)
            guard.warn("reentrant", "otel_product_events: %d events emitted while this thread "
                       "was already emitting (a signal handler?) were dropped: more than %d "
                       "waited.", dropped, MAX_DEFERRED)
        deferred = _thread.deferred
        while deferred:
            function, args = deferred.popleft()
            function(*args)
    finally:
        _thread.draining = False
