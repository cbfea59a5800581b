"""Asks the log pipeline to export now, without waiting, for events that must not sit in a
queue: a ``.started`` event has to reach the collector even if the process is killed soon after.

One daemon thread per process coalesces requests into ``force_flush`` calls; the caller never
blocks. After ``fork()`` the child starts its own thread on first use.
"""

from __future__ import annotations

import os
import threading

from opentelemetry import _logs

from . import guard


class _Flusher:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.wanted = threading.Event()
        self.pid = -1

    def request(self) -> None:
        if self.pid != os.getpid():
            with self.lock:
                if self.pid != os.getpid():
                    self.wanted = threading.Event()
                    threading.Thread(target=self._run, args=(self.wanted,),
                                     name="otel_product_events.prompt_export",
                                     daemon=True).start()
                    self.pid = os.getpid()
        self.wanted.set()

    @staticmethod
    def _run(wanted: threading.Event) -> None:
        while True:
            wanted.wait()
            wanted.clear()
            provider = _logs.get_logger_provider()
            flush = getattr(provider, "force_flush", None)
            if flush is None:
                continue
            try:
                flush()
            except Exception as error:
                guard.internal_error("prompt_export", error)


_flusher = _Flusher()


def export_soon() -> None:
    """Requests an export of everything queued; returns at once."""
    _flusher.request()
