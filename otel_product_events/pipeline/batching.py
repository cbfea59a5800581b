"""Export requests that fit: a batch is sent as requests of at most ``max_bytes`` (estimated,
:mod:`.sizing`), whatever the protocol, since an OTLP receiver refuses a larger one whole (4 MiB
by default over gRPC) and the SDK cuts batches by count only.

A request still refused as too large or malformed (HTTP 400/413, gRPC RESOURCE_EXHAUSTED or
INVALID_ARGUMENT) is split in halves and each half sent again, so one record the receiver
cannot take is lost alone; a record larger than a request on its own is never sent.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Final, TypeVar

_T = TypeVar("_T")


class Outcome:
    """What became of the records of one batch."""

    __slots__ = ("exported", "failed", "failed_records", "too_large")

    def __init__(self) -> None:
        self.exported = 0
        self.failed = 0
        self.too_large = 0
        #: The records of the requests that failed (not refused as too large), for the spool.
        self.failed_records: list[object] = []


# The OTLP exporters say why a request failed only in their log; these markers are the
# refusals worth a split (see the module docstring).
_REFUSALS: Final = ("batch code: 400", "batch code: 413", "RESOURCE_EXHAUSTED", "INVALID_ARGUMENT")
_EXPORTER_LOGGERS: Final = (
    "opentelemetry.exporter.otlp.proto.grpc.exporter",
    "opentelemetry.exporter.otlp.proto.http._log_exporter",
    "opentelemetry.exporter.otlp.proto.http.trace_exporter",
)
_refused = threading.local()  # exports run in the thread that logs their failure


class _RefusalSpotter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # Warnings too: a refusal retried until the deadline may end as DEADLINE_EXCEEDED.
        if record.levelno >= logging.WARNING:
            try:
                text = record.getMessage()
            except Exception:  # a malformed record is not ours to judge
                return True
            if any(marker in text for marker in _REFUSALS):
                _refused.flag = True
        return True


_SPOTTER: Final = _RefusalSpotter()


def spot_refusals() -> None:
    """Listens to the OTLP exporters' failure logs (first, before their duplicate filter)."""
    for name in _EXPORTER_LOGGERS:
        logger = logging.getLogger(name)
        if _SPOTTER not in logger.filters:
            logger.filters.insert(0, _SPOTTER)


def send_in_requests(batch: Sequence[_T], size_of: Callable[[_T], int], max_bytes: int,
                     send: Callable[[Sequence[_T]], bool], outcome: Outcome) -> None:
    """Sends ``batch`` as requests of at most ``max_bytes``; records the fate of each record."""
    part: list[_T] = []
    part_bytes = 0
    for record in batch:
        size = size_of(record)
        if size > max_bytes:
            outcome.too_large += 1
            continue
        if part and part_bytes + size > max_bytes:
            _send_or_split(part, send, outcome)
            part, part_bytes = [], 0
        part.append(record)
        part_bytes += size
    if part:
        _send_or_split(part, send, outcome)


def _send_or_split(part: Sequence[_T], send: Callable[[Sequence[_T]], bool],
                   outcome: Outcome) -> None:
    _refused.flag = False
    if send(part):
        outcome.exported += len(part)
    elif len(part) > 1 and _refused.flag:
        half = len(part) // 2
        _send_or_split(part[:half], send, outcome)
        _send_or_split(part[half:], send, outcome)
    else:
        outcome.failed += len(part)
        outcome.failed_records.extend(part)
