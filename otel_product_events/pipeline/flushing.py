"""Bounded exports: :func:`flush`, an export *soon* for events that must not wait in the queue,
and the exit window, in which events emitted by late exit code are still delivered.

The SDK's ``force_flush`` ignores its timeout and an exporter may sit in retry backoff, so every
wait here runs the flush in a daemon thread and stops waiting at the deadline: the caller (often
the interpreter's exit) never waits longer than it asked.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

from opentelemetry import _logs, metrics, trace

from otel_product_events import guard


def within(timeout_s: float, work: Callable[[], object], name: str) -> bool:
    """Runs ``work`` in a daemon thread and waits at most ``timeout_s``; True if it finished
    in time and did not return False."""
    outcome: list[bool] = []

    def run() -> None:
        try:
            outcome.append(work() is not False)
        except Exception as error:
            outcome.append(False)
            guard.internal_error(name, error)

    worker = threading.Thread(target=run, name=f"otel_product_events.{name}", daemon=True)
    worker.start()
    worker.join(max(0.0, timeout_s))
    return bool(outcome) and outcome[0]


def _flushes(providers: tuple[object, ...]) -> list[Callable[[], object]]:
    return [flush_one for provider in providers
            if callable(flush_one := getattr(provider, "force_flush", None))]


def flush(timeout: float = 5.0) -> bool:
    """Exports everything queued so far, waiting at most ``timeout`` seconds.

    For short-lived and serverless processes. Flushes whichever providers are installed,
    ours or the application's. Returns True when everything was exported in time.
    """
    flushes = _flushes((trace.get_tracer_provider(), _logs.get_logger_provider(),
                        metrics.get_meter_provider()))

    def flush_all() -> bool:
        flushed = True
        for flush_one in flushes:  # every provider, even after one failed
            flushed = flush_one() is not False and flushed
        return flushed

    return within(timeout, flush_all, "flush") if flushes else True


class _SoonExporter:
    """One daemon thread per process turning requests into log flushes; callers never wait."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.wanted = threading.Event()
        self.pid = -1

    def request(self) -> None:
        if self.pid != os.getpid():  # first use, or a forked child: start this process's thread
            with self.lock:
                if self.pid != os.getpid():
                    self.wanted = threading.Event()
                    threading.Thread(target=self._run, args=(self.wanted,), daemon=True,
                                     name="otel_product_events.export_soon").start()
                    self.pid = os.getpid()
        self.wanted.set()

    @staticmethod
    def _run(wanted: threading.Event) -> None:
        while True:
            wanted.wait()
            wanted.clear()
            for flush_one in _flushes((_logs.get_logger_provider(),)):
                try:
                    flush_one()
                except Exception as error:
                    guard.internal_error("export_soon", error)


_soon = _SoonExporter()


def export_soon() -> None:
    """Requests an export of the queued log records (a ``.started`` event must reach the
    collector even if the process is killed a moment later); returns at once."""
    _soon.request()


class _ExitWindow:
    __slots__ = ("deadline",)

    def __init__(self) -> None:
        self.deadline: float | None = None


#: Open (``deadline`` set) from our exit hook until the process ends.
EXIT_WINDOW = _ExitWindow()


def open_exit_window(timeout_s: float) -> float:
    """Starts the exit window; returns its deadline (``time.monotonic()`` seconds)."""
    EXIT_WINDOW.deadline = time.monotonic() + timeout_s
    return EXIT_WINDOW.deadline


def export_during_exit() -> None:
    """Delivers a record emitted after our exit flush (by an exit hook that runs after ours, or
    a ``finally`` block unwinding late), within what is left of the exit window."""
    deadline = EXIT_WINDOW.deadline
    if deadline is None:
        return
    remaining = deadline - time.monotonic()
    flushes = _flushes((_logs.get_logger_provider(),))
    if remaining <= 0 or not flushes:
        guard.count("log_records_not_exported_at_exit")
        return
    if not within(remaining, flushes[0], "export_during_exit"):
        guard.count("log_records_not_exported_at_exit")
