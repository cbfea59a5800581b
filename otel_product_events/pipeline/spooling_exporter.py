"""Keeps what the collector could not take: an exporter wrapper that writes undeliverable batches
to the spool (:mod:`.spool`), for the next run to send (:mod:`.resend`).

Records reach the spool three ways: a batch the OTLP exporter gave up on after its retries;
the oldest records of a full queue (instead of the SDK dropping them); and, at exit, the batch
in flight and what is still queued when the collector did not take them within the exit bound.
After a failure the wrapper stays *offline* for :data:`OFFLINE_S`: batches go straight to disk
instead of waiting out the exporter's retries again, so the queue drains during an outage and
little is left to write at exit (a slow trickle is held until a batch is full or
:data:`HOLD_S` passed, so that an outage does not make one tiny file per schedule delay).

Accounting (the ledger of :mod:`.accounting`): a spooled record moves from ``failed`` (or from
the queue) to ``spooled``, so ``accepted = exported + export_failed + spooled +
dropped_queue_full + queued`` still holds.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Final, Generic, TypeVar

from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from otel_product_events import guard
from otel_product_events.config import SETTINGS
from otel_product_events.pipeline import resend
from otel_product_events.pipeline.accounting import LOGS, SPANS, Ledger
from otel_product_events.pipeline.batching import Outcome
from otel_product_events.pipeline.spool import Spool
from otel_product_events.privacy import consent

#: After a failed export, batches are spooled without trying the network for this long.
OFFLINE_S: Final = 10.0
#: Offline, records are written once a batch is full or this many seconds passed.
HOLD_S: Final = 30.0
#: After a successful export, the spool is looked at (one listdir) at most this often.
RESEND_CHECK_S: Final = 1.0
#: Encoding cost and size per record assumed until measured (~15-65 µs, ~170 bytes measured).
_INITIAL_COST_S: Final = 100e-6
_INITIAL_BYTES: Final = 150

T = TypeVar("T")


def available() -> bool:
    """Whether this process spools at all (not with OTEL_PRODUCT_EVENTS_SPOOL=false, and only
    where the sender can lock the spool: not on Windows)."""
    return SETTINGS.spool and resend.LOCKS_AVAILABLE


class _Spooler(Generic[T]):
    """The shared logic of both signals' wrappers."""

    def __init__(self, signal: str, inner: Any, otlp_exporter: Any, ledger: Ledger,
                 encode: Callable[[Sequence[T]], bytes], sender: resend.Sender,
                 spool: Spool) -> None:
        self.signal = signal
        self.inner = inner
        self.otlp_exporter = otlp_exporter
        self.ledger = ledger
        self.encode = encode
        self.sender = sender
        self.spool = spool
        self.lock = threading.Lock()
        self.offline_until = 0.0
        self.exit_deadline: float | None = None
        self.current: Sequence[T] | None = None  # the batch the OTLP exporter is sending
        self.current_spooled: Path | None = None  # ... if the exit hook spooled it meanwhile
        self.cost_per_record_s = _INITIAL_COST_S
        self.bytes_per_record = _INITIAL_BYTES
        self.last_resend_check = time.monotonic()
        self.queue: deque[T] | None = None
        self.batch_processor: Any = None
        self.batch_size = 512
        self.overflow: deque[T] = deque()
        self.held: list[T] = []  # offline: records waiting to fill a spool file
        self.held_since = 0.0
        self.overflow_wanted = threading.Event()
        self.overflow_pid = -1

    # -- the exporter interface --------------------------------------------------------------

    def export_batch(self, batch: Sequence[T], success: object) -> object:
        if self.exit_deadline is not None:
            return success if self._spool_uncounted(batch) else self._failure()
        if time.monotonic() < self.offline_until:
            self._hold(batch)
            return success
        self._write_held()  # older than this batch: on disk first
        with self.lock:
            self.current, self.current_spooled = batch, None
        result = self._failure()
        try:
            result = self.inner.export(batch)
            return result
        finally:
            self._settle(batch, result is success)

    def _settle(self, batch: Sequence[T], succeeded: bool) -> None:
        n = len(batch)
        # The counting exporter sends a batch as several requests: some may have been delivered.
        last_outcome = getattr(self.inner, "last_outcome", None)
        outcome: Outcome | None = last_outcome() if callable(last_outcome) else None
        with self.lock:
            spooled_meanwhile, self.current, self.current_spooled = self.current_spooled, None, None
            if spooled_meanwhile is not None:
                # The exit hook spooled this batch while it was in flight (moving it from "in
                # flight" to "spooled"); the counting exporter has just settled it again.
                kept = not (succeeded and _unlink(spooled_meanwhile))
                with self.ledger.lock:
                    self.ledger.in_flight += n
                    if not succeeded and outcome is not None:
                        # Spooled whole: undo the counting exporter's verdict on every record
                        # (a delivered part comes again from the spool; the report dedups).
                        self.ledger.failed -= outcome.failed
                        self.ledger.exported -= outcome.exported
                        self.ledger.too_large -= outcome.too_large
                    elif not succeeded:
                        self.ledger.failed -= n
                    elif kept:
                        self.ledger.exported -= n
                    else:  # delivered after all, and its spooled copy deleted
                        self.ledger.spooled -= n
                return
        if succeeded:
            self.offline_until = 0.0
            now = time.monotonic()
            if now - self.last_resend_check > RESEND_CHECK_S:
                # Online: send what this or another process spooled meanwhile, if anything.
                self.last_resend_check = now
                if self.spool.files():
                    start_resend()
            return
        self.offline_until = time.monotonic() + OFFLINE_S
        failed: Sequence[Any] = batch if outcome is None else outcome.failed_records
        if failed and self._write(failed):
            with self.ledger.lock:
                self.ledger.failed -= len(failed)
                self.ledger.spooled += len(failed)

    def _failure(self) -> object:
        raise NotImplementedError

    def _hold(self, batch: Sequence[T]) -> None:
        # Offline, a slow trickle would make one tiny file per schedule delay: records are
        # held (counted in flight) until a batch is full or HOLD_S passed, then written at once.
        now = time.monotonic()
        with self.ledger.lock:
            self.ledger.in_flight += len(batch)
        with self.lock:
            self.held.extend(batch)
            if not self.held_since:
                self.held_since = now
            full = len(self.held) >= self.batch_size or now - self.held_since >= HOLD_S
        if full:
            self._write_held()

    def _write_held(self) -> None:
        with self.lock:
            held, self.held, self.held_since = self.held, [], 0.0
        if held:
            with self.ledger.lock:
                self.ledger.in_flight -= len(held)
            self._spool_uncounted(held)

    # -- writing -----------------------------------------------------------------------------

    def _write(self, batch: Sequence[T]) -> bool:
        """Writes one batch to the spool; False if it could not (consent, time, disk). True
        also when the spool dropped it at once (larger than the whole spool: counted there)."""
        if not batch or not consent.SWITCH.on:
            return False
        deadline = self.exit_deadline
        if deadline is not None and time.monotonic() + len(batch) * self.cost_per_record_s \
                > deadline:
            return False  # the exit bound comes first
        try:
            started = time.monotonic()
            payload = self.encode(batch)
            self.spool.write(self.signal, payload, len(batch))
            self.cost_per_record_s = (time.monotonic() - started) / len(batch)
            self.bytes_per_record = max(1, len(payload) // len(batch))
            return True
        except OSError as error:  # an unwritable state dir, a full disk: not our bug
            _spool_unwritable(self.spool, error)
            return False
        except Exception as error:
            guard.internal_error("spool_write", error)
            return False

    def _spool_uncounted(self, batch: Sequence[T]) -> bool:
        """Spools records the counting exporter never saw (offline, overflow, exit drain)."""
        with self.ledger.lock:
            self.ledger.in_flight += len(batch)
        written = self._write(batch)
        with self.ledger.lock:
            self.ledger.in_flight -= len(batch)
            if written:
                self.ledger.spooled += len(batch)
            else:
                self.ledger.failed += len(batch)
        return written

    # -- the full queue ----------------------------------------------------------------------

    def attach(self, processor: object) -> None:
        """Watches ``processor``'s queue: the oldest records of a full queue are spooled."""
        batch_processor = getattr(processor, "_batch_processor", None)
        queue = getattr(batch_processor, "_queue", None)
        size = getattr(batch_processor, "_max_export_batch_size", None)
        if not isinstance(queue, deque) or not isinstance(size, int) or queue.maxlen is None:
            return  # SDK internals moved: records of a full queue are dropped (and counted)
        self.queue, self.batch_processor, self.batch_size = queue, batch_processor, size
        # Bounded too (the queue's memory bound must hold): if the writer falls behind, the
        # oldest overflow records go, counted as dropped_queue_full.
        self.overflow = deque(maxlen=4 * size)
        self.ledger.watch_queue(processor)
        queue_length = self.ledger._queue_length
        self.ledger._queue_length = lambda: queue_length() + len(self.overflow)
        # The worker pops up to a batch at a time: a spill must never empty it under its feet.
        if queue.maxlen > 2 * size:
            self.ledger.spill = self.spill

    def spill(self) -> None:
        """Called before each record enters the queue: when it is full, moves the oldest record
        to the overflow buffer, which a writer thread spools (the caller never waits)."""
        queue = self.queue
        if queue is None or len(queue) < (queue.maxlen or 0) or not consent.SWITCH.on:
            return
        try:
            self.overflow.append(queue.pop())  # oldest at the right
        except IndexError:
            return
        if len(self.overflow) >= self.batch_size and not self.overflow_wanted.is_set():
            self._wake_overflow_writer()

    def _wake_overflow_writer(self) -> None:
        if self.overflow_pid != os.getpid():
            with self.lock:
                if self.overflow_pid != os.getpid():
                    self.overflow_wanted = threading.Event()
                    try:
                        threading.Thread(target=self._write_overflow, daemon=True,
                                         name=f"otel_product_events.spool.{self.signal}").start()
                    except RuntimeError:
                        return  # interpreter shutting down: the exit hook spools the overflow
                    self.overflow_pid = os.getpid()
        self.overflow_wanted.set()

    def _write_overflow(self) -> None:
        wanted = self.overflow_wanted
        while True:
            wanted.wait()
            wanted.clear()
            try:
                self._drain_overflow(None)
            except Exception as error:
                guard.internal_error("spool_overflow", error)

    def _drain_overflow(self, deadline: float | None) -> None:
        self._drop_beyond_capacity(self.overflow)
        while self.overflow and (deadline is None or time.monotonic() < deadline):
            self._spool_uncounted(_pop_oldest(self.overflow, self.batch_size, left=True))

    # -- exit --------------------------------------------------------------------------------

    def pending(self) -> int:
        current = self.current
        return (len(self.queue) if self.queue is not None else 0) + len(self.overflow) + len(
            self.held) + (len(current) if current is not None and self.current_spooled is None
                          else 0)

    def capacity(self) -> int:
        """About how many records the spool holds when full."""
        return self.spool.max_bytes // self.bytes_per_record

    def _drop_beyond_capacity(self, *queues: deque[T]) -> None:
        # Records beyond what the spool can hold would only push out newer ones (the oldest
        # files go first): they are dropped unencoded, oldest first, and counted.
        excess = sum(len(queue) for queue in queues) - self.capacity()
        dropped = 0
        for queue in queues:
            if excess > dropped:
                dropped += len(_pop_oldest(queue, excess - dropped, left=queue is self.overflow))
        if dropped:
            with self.ledger.lock:
                self.ledger.spooled += dropped
            guard.count(f"{self.signal}_spool_dropped", dropped)

    def spool_at_exit(self, deadline: float) -> None:
        """The exit bound is running out with records undelivered: stop trying the network and
        write them to the spool, oldest first, until ``deadline``."""
        self.exit_deadline = deadline
        with self.lock:
            current = self.current
            if current is not None and self.current_spooled is None:
                path = self._write_path(current)
                if path is not None:
                    self.current_spooled = path
                    with self.ledger.lock:
                        self.ledger.in_flight -= len(current)
                        self.ledger.spooled += len(current)
        self._write_held()
        queue, batch_processor = self.queue, self.batch_processor
        if queue is None:
            self._drain_overflow(deadline)
            return
        # Stop the SDK's export loop from popping the queue while we do (it checks this flag
        # before each batch), then give the loop back to late records.
        batch_processor._shutdown_timeout_exceeded = True
        try:
            self._drop_beyond_capacity(self.overflow, queue)
            self._drain_overflow(deadline)
            while queue and time.monotonic() < deadline:
                batch = _pop_oldest(queue, self.batch_size, left=False)
                if batch:
                    self._spool_uncounted(batch)
        finally:
            batch_processor._shutdown_timeout_exceeded = False

    def _write_path(self, batch: Sequence[T]) -> Path | None:
        if not consent.SWITCH.on:
            return None
        try:
            return self.spool.write(self.signal, self.encode(batch), len(batch))
        except OSError as error:
            _spool_unwritable(self.spool, error)
            return None
        except Exception as error:
            guard.internal_error("spool_write", error)
            return None


def _spool_unwritable(spool: Spool, error: OSError) -> None:
    guard.count("spool_write_errors")
    guard.warn("spool-unwritable", "otel_product_events: cannot write the spool in %s (%s); "
               "undeliverable events are dropped and counted.", spool.directory,
               type(error).__name__)


def _unlink(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _pop_oldest(queue: deque[T], count: int, *, left: bool) -> list[T]:
    batch: list[T] = []
    try:
        for _ in range(count):
            batch.append(queue.popleft() if left else queue.pop())
    except IndexError:
        pass
    return batch


class SpoolingLogExporter(LogRecordExporter):
    """Spools the log records its exporter could not deliver."""

    def __init__(self, spooler: _Spooler[ReadableLogRecord]) -> None:
        self.spooler = spooler

    @property
    def exporter(self) -> Any:
        """The OTLP exporter underneath (as the counting wrapper names it)."""
        return self.spooler.otlp_exporter

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        result: LogRecordExportResult = self.spooler.export_batch(
            batch, LogRecordExportResult.SUCCESS)  # type: ignore[assignment]
        return result

    def shutdown(self) -> None:
        self.spooler.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return bool(self.spooler.inner.force_flush(timeout_millis))


class SpoolingSpanExporter(SpanExporter):
    """Spools the spans its exporter could not deliver."""

    def __init__(self, spooler: _Spooler[ReadableSpan]) -> None:
        self.spooler = spooler

    @property
    def exporter(self) -> Any:
        """The OTLP exporter underneath (as the counting wrapper names it)."""
        return self.spooler.otlp_exporter

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        result: SpanExportResult = self.spooler.export_batch(
            spans, SpanExportResult.SUCCESS)  # type: ignore[assignment]
        return result

    def shutdown(self) -> None:
        self.spooler.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return bool(self.spooler.inner.force_flush(timeout_millis))


class _LogSpooler(_Spooler[ReadableLogRecord]):
    def _failure(self) -> object:
        return LogRecordExportResult.FAILURE


class _SpanSpooler(_Spooler[ReadableSpan]):
    def _failure(self) -> object:
        return SpanExportResult.FAILURE


def _encode_logs(batch: Sequence[ReadableLogRecord]) -> bytes:
    from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs

    return bytes(encode_logs(batch).SerializeToString())


def _encode_spans(batch: Sequence[ReadableSpan]) -> bytes:
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    return bytes(encode_spans(batch).SerializeToString())


class _Registry:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.spoolers: list[_Spooler[Any]] = []


_registry = _Registry()


def spool() -> Spool:
    return Spool(SETTINGS.spool_dir, SETTINGS.spool_max_bytes, SETTINGS.spool_max_age_s)


def wrap_logs(counting: LogRecordExporter, otlp_exporter: object) -> LogRecordExporter:
    """``counting`` wrapped to spool what ``otlp_exporter`` could not deliver; ``counting``
    itself when there is no spool or the exporter is not one whose bytes we can resend."""
    sender = resend.sender_for("log_records", otlp_exporter) if available() else None
    if sender is None:
        return counting
    spooler = _LogSpooler("log_records", counting, otlp_exporter, LOGS, _encode_logs, sender,
                          spool())
    with _registry.lock:
        _registry.spoolers.append(spooler)
    return SpoolingLogExporter(spooler)


def wrap_spans(counting: SpanExporter, otlp_exporter: object) -> SpanExporter:
    """As :func:`wrap_logs`, for spans."""
    sender = resend.sender_for("spans", otlp_exporter) if available() else None
    if sender is None:
        return counting
    spooler = _SpanSpooler("spans", counting, otlp_exporter, SPANS, _encode_spans, sender,
                           spool())
    with _registry.lock:
        _registry.spoolers.append(spooler)
    return SpoolingSpanExporter(spooler)


def attach(processor: object) -> None:
    """Lets the spooling exporter of ``processor`` (if it has one) spool its full queue."""
    exporter = getattr(getattr(processor, "_batch_processor", None), "_exporter", None)
    if isinstance(exporter, (SpoolingLogExporter, SpoolingSpanExporter)):
        exporter.spooler.attach(processor)


def start_resend() -> None:
    """Sends the spool of earlier runs in the background (see :mod:`.resend`)."""
    with _registry.lock:
        spoolers = list(_registry.spoolers)
    if spoolers and consent.SWITCH.on:
        resend.start(spoolers[0].spool, {s.signal: s.sender for s in spoolers})


def stop_resend(deadline: float) -> None:
    """At exit: the background sender stops (after the request on the wire, if any)."""
    resend.stop(deadline - time.monotonic())


def pending_at_exit() -> int:
    """Records not yet delivered, in the pipelines that spool."""
    with _registry.lock:
        return sum(s.pending() for s in _registry.spoolers)


def flush_budget(deadline: float) -> float:
    """The moment the exit flush must give up so that writing the spool still fits before
    ``deadline`` (a local write: a few hundred milliseconds for ten thousand events)."""
    with _registry.lock:
        spoolers = list(_registry.spoolers)
    if not spoolers:
        return deadline
    now = time.monotonic()
    needed = 0.05 + sum(min(s.pending(), s.capacity()) * s.cost_per_record_s
                        for s in spoolers) * 1.5
    return max(now + (deadline - now) * 0.25, deadline - needed)


def spool_at_exit(deadline: float) -> None:
    """Writes what is still undelivered to the spool, within ``deadline`` (nothing when the
    exit flush delivered everything)."""
    with _registry.lock:
        spoolers = list(_registry.spoolers)
    for spooler in spoolers:
        if spooler.pending():
            spooler.spool_at_exit(deadline)
