"""Bounded exports: :func:`flush`, an export *soon* for events that must not wait in the queue,
and the exit window, in which events emitted by late exit code are still delivered.

The SDK's ``force_flush`` ignores its timeout and an exporter may sit in retry backoff, so every
wait here hands the work to a worker thread and stops waiting at the deadline: the caller (often
the interpreter's exit) never waits longer than it asked. That thread is started once per
process, ahead of time (:func:`start_worker`, and again in a forked child): Python 3.12 refuses
to start a thread while the interpreter shuts down, which is exactly when the last flush runs.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable

from opentelemetry import _logs, metrics, trace

from otel_product_events import guard


class _Job:
    __slots__ = ("done", "name", "outcome", "work")

    def __init__(self, work: Callable[[], object], name: str) -> None:
        self.work = work
        self.name = name
        self.done = threading.Event()
        self.outcome = False

    def run(self) -> None:
        try:
            self.outcome = self.work() is not False
        except Exception as error:
            guard.internal_error(self.name, error)
        finally:
            self.done.set()


class _Worker:
    """One daemon thread per process running flushes and shutdowns, one after the other."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.jobs: deque[_Job] = deque()
        self.wake = threading.Event()
        self.soon = False
        self.pid = -1

    def start(self) -> bool:
        """Starts this process's thread unless it runs; False if it cannot be started."""
        if self.pid == os.getpid():
            return True
        with self.lock:
            if self.pid != os.getpid():
                try:
                    threading.Thread(target=self._run, args=(self.jobs, self.wake), daemon=True,
                                     name="otel_product_events.worker").start()
                except RuntimeError:  # interpreter shutdown (3.12), or out of threads
                    return False
                self.pid = os.getpid()
        return True

    def restart_in_child(self) -> None:
        # The parent's thread does not exist in a forked child, nor do its jobs.
        if self.pid != -1:
            self.lock = threading.Lock()
            self.jobs, self.wake, self.soon, self.pid = deque(), threading.Event(), False, -1
            self.start()

    def submit(self, job: _Job) -> bool:
        if not self.start():
            return False
        self.jobs.append(job)
        self.wake.set()
        return True

    def request_soon(self) -> None:
        if self.start():
            self.soon = True
            self.wake.set()

    def _run(self, jobs: deque[_Job], wake: threading.Event) -> None:
        while True:
            wake.wait()
            wake.clear()
            while jobs:
                jobs.popleft().run()
            if self.soon:
                self.soon = False
                _Job(_flush_logs, "export_soon").run()


_worker = _Worker()
os.register_at_fork(after_in_child=_worker.restart_in_child)


def start_worker() -> None:
    """Starts the worker thread now, while threads can still be started (at configure)."""
    _worker.start()


def within(timeout_s: float, work: Callable[[], object], name: str) -> bool:
    """Runs ``work`` on the worker thread and waits at most ``timeout_s``; True if it finished
    in time and did not return False."""
    job = _Job(work, name)
    if not _worker.submit(job):
        job.run()  # no thread to be had: do it here, bounded by the exporter's own timeout
    job.done.wait(max(0.0, timeout_s))
    return job.done.is_set() and job.outcome


def _flushes(providers: tuple[object, ...]) -> list[Callable[[], object]]:
    return [flush_one for provider in providers
            if callable(flush_one := getattr(provider, "force_flush", None))]


def _flush_logs() -> bool:
    return all(flush_one() is not False for flush_one in _flushes((_logs.get_logger_provider(),)))


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


def export_soon() -> None:
    """Requests an export of the queued log records (a ``.started`` event must reach the
    collector even if the process is killed a moment later); returns at once."""
    _worker.request_soon()


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
    if remaining <= 0 or not _flushes((_logs.get_logger_provider(),)):
        guard.count("log_records_not_exported_at_exit")
        return
    if not within(remaining, _flush_logs, "export_during_exit"):
        guard.count("log_records_not_exported_at_exit")
