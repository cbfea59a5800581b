"""Sends the spool of earlier runs in the background, one process at a time.

Started by :func:`configure`; it never delays start-up (a daemon thread) nor exit (the exit hook
waits at most :data:`STOP_WAIT_S` for a request already on the wire, so that an accepted file is
deleted rather than sent again next time). Only one process sends a spool at once (an ``fcntl``
lock on ``.send.lock``), oldest file first, at most :data:`BYTES_PER_S`, deleting each file once
the collector accepted it. It stops at the first refusal (the collector is still away): the next
process, or this one when its exporter succeeds again, tries later.

A process killed between the collector's acceptance and the deletion sends that file again:
the report counts an event once, by ``log.record.uid``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

from otel_product_events import guard
from otel_product_events.pipeline.lazy_exporter import LazyExporter
from otel_product_events.pipeline.spool import CorruptSpoolFile, Spool
from otel_product_events.privacy import consent

try:
    import fcntl
except ImportError:  # Windows: no spool (see spooling_exporter.available)
    fcntl = None  # type: ignore[assignment]

#: Whether spool files can be locked here (POSIX); without it nothing is spooled.
LOCKS_AVAILABLE: Final = fcntl is not None

#: A spool found after an outage is sent at this rate, so that a fleet coming back online
#: does not flood the collector (about 5,000 events a second).
BYTES_PER_S: Final = 1 << 20
STOP_WAIT_S: Final = 0.5
LOCK_NAME: Final = ".send.lock"

ACCEPTED: Final = "accepted"
#: The collector will never take this request (malformed, too large): retrying cannot help.
REJECTED: Final = "rejected"
RETRY_LATER: Final = "retry later"

#: Sends one encoded request; answers ACCEPTED, REJECTED or RETRY_LATER.
Sender = Callable[[bytes], str]


_OTLP_HTTP: Final = "opentelemetry.exporter.otlp.proto.http"
_OTLP_GRPC: Final = "opentelemetry.exporter.otlp.proto.grpc"


def sender_for(signal: str, exporter: object) -> Sender | None:
    """How to send stored bytes through ``exporter`` (the SDK's OTLP HTTP or gRPC exporter, or
    a :class:`LazyExporter` that builds one), or None for any other exporter (nothing is
    spooled for it)."""
    if isinstance(exporter, LazyExporter):
        return _sender_when_built(signal, exporter)
    client: Any = getattr(exporter, "_client", None)
    if client is None:
        return None
    module = type(exporter).__module__
    if module.startswith(_OTLP_HTTP):
        if not callable(getattr(client, "export", None)):
            return None

        def send_http(payload: bytes) -> str:
            result = client.export(payload)
            if result.success:
                return ACCEPTED
            return REJECTED if result.status_code in (400, 413) else RETRY_LATER

        return send_http
    if module.startswith(_OTLP_GRPC):
        return _grpc_sender(signal, exporter)
    return None


def _sender_when_built(signal: str, lazy: LazyExporter) -> Sender | None:
    """The sender of the exporter ``lazy`` builds, found when the first file is sent (building
    it then, on the sending thread, if no export did before)."""
    if not lazy.class_path.startswith((_OTLP_HTTP, _OTLP_GRPC)):
        return None
    found: list[Sender | None] = []

    def send(payload: bytes) -> str:
        if not found:
            exporter = lazy.built()
            if exporter is None:
                return RETRY_LATER  # cannot be built here (counted and logged once)
            found.append(sender_for(signal, exporter))
        sender = found[0]
        return RETRY_LATER if sender is None else sender(payload)

    return send


def _grpc_sender(signal: str, exporter: Any) -> Sender:
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    request: Any = ExportLogsServiceRequest if signal == "log_records" else \
        ExportTraceServiceRequest

    def send_grpc(payload: bytes) -> str:
        import grpc  # type: ignore[import-untyped]

        client = exporter._client
        if client is None or exporter._shutdown:
            return RETRY_LATER
        try:
            client.Export(request=request.FromString(payload), metadata=exporter._headers,
                          timeout=exporter._timeout)
        except grpc.RpcError as error:
            invalid = error.code() == grpc.StatusCode.INVALID_ARGUMENT
            return REJECTED if invalid else RETRY_LATER
        return ACCEPTED

    return send_grpc


class _Resender:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.thread: threading.Thread | None = None
        self.stop = threading.Event()
        self.sending = threading.Event()  # set while a request is on the wire


_state = _Resender()


def start(spool: Spool, senders: dict[str, Sender]) -> None:
    """Sends ``spool`` in a daemon thread, unless this process is already sending it."""
    with _state.lock:
        if _state.thread is not None and _state.thread.is_alive():
            return
        if not LOCKS_AVAILABLE or not senders or _state.stop.is_set():
            return
        thread = threading.Thread(target=_run, args=(spool, senders), daemon=True,
                                  name="otel_product_events.resend")
        try:
            thread.start()
        except RuntimeError:
            return  # interpreter shutting down: the next run sends the spool
        _state.thread = thread


def stop(timeout_s: float) -> None:
    """Asks the sender to stop; waits (at most ``timeout_s``) only for a request on the wire."""
    _state.stop.set()
    thread = _state.thread
    if thread is not None and _state.sending.is_set():
        thread.join(max(0.0, min(timeout_s, STOP_WAIT_S)))


def _run(spool: Spool, senders: dict[str, Sender]) -> None:
    try:
        # No spool yet (or opted out since): nothing to send, and no directory or lock file
        # created for nothing (an in-app opt-out right after configure() must leave no file).
        if not consent.SWITCH.on or not spool.directory.is_dir():
            return
        fd = os.open(spool.directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        with os.fdopen(fd, "r+b") as lock_file:
            try:
                fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return  # another process is sending this spool
            try:
                _send_all(spool, senders)
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
    except OSError as error:  # an unreadable state dir: the spool waits
        guard.warn("spool-unreadable", "otel_product_events: cannot send the spool in %s (%s).",
                   spool.directory, type(error).__name__)
    except Exception as error:
        guard.internal_error("resend", error)


def _send_all(spool: Spool, senders: dict[str, Sender]) -> None:
    spool.clean_stale_temporaries()
    spool.enforce_bounds()
    started, sent_bytes = time.monotonic(), 0
    while True:
        files, progressed = spool.files(), False
        for path in files:
            if _state.stop.is_set() or not consent.SWITCH.on:
                return
            entry = _read(spool, path)
            if entry is None:
                continue
            sender = senders.get(entry.signal)
            if sender is None:
                continue
            if entry.created_unix_s < time.time() - spool.max_age_s:
                spool.drop(path)
                continue
            # Rate limit: never ahead of BYTES_PER_S since this pass started.
            ahead = (sent_bytes / BYTES_PER_S) - (time.monotonic() - started)
            if ahead > 0 and _state.stop.wait(ahead):
                return
            _state.sending.set()
            try:
                answer = sender(entry.payload)
                if answer == ACCEPTED:
                    spool.remove_sent(entry)
                elif answer == REJECTED:
                    guard.warn("spool-rejected", "otel_product_events: the collector refused a "
                               "spooled request for good; dropped (counted).")
                    spool.drop(path)
            finally:
                _state.sending.clear()
            if answer == RETRY_LATER:
                return  # the collector is still away; the spool waits for a later try
            progressed = True
            sent_bytes += len(entry.payload)
        if not progressed:
            return  # empty, or only files no exporter of this process can send


def _read(spool: Spool, path: Path) -> Any:
    try:
        return spool.read(path)
    except FileNotFoundError:
        return None
    except CorruptSpoolFile:
        spool.discard_corrupt(path)
        return None
