"""The one place a product event is built and emitted: an OTel log record with an event name.

Every event carries its name as the record's ``event_name``, the instrumentation scope
``otel_product_events``, a timestamp (the SDK leaves it empty; semantic conventions require it
for events), ``log.record.uid``, ``app.installation.id`` (on each event, not on the resource:
every signal of the application carries that), and the trace/span ids of the context it is
emitted in.
"""

from __future__ import annotations

import time
from typing import Final

from opentelemetry.context import Context

from otel_product_events import guard, semconv
from otel_product_events.attributes import AttributeValue
from otel_product_events.catalog import policy
from otel_product_events.ids import new_uuid7
from otel_product_events.instrument import reentry
from otel_product_events.instrument.context import current as current_product_context
from otel_product_events.instrument.values import MAX_STRING_LENGTH
from otel_product_events.names import MAX_NAME_LENGTH, name_problem, shown
from otel_product_events.pipeline.bound import logger
from otel_product_events.pipeline.flushing import EXIT_WINDOW, export_during_exit
from otel_product_events.pipeline.sizing import LIMITS, event_size
from otel_product_events.privacy.installation import installation_id


def new_attributes() -> dict[str, AttributeValue]:
    """A fresh attribute dict holding the product context in effect here."""
    context = current_product_context()
    return dict(context) if context else {}


_UID: Final = semconv.LOG_RECORD_UID
_INSTALLATION: Final = semconv.APP_INSTALLATION_ID

# Names already checked (a program emits a few dozen distinct ones); bounded all the same.
_GOOD_NAMES: set[str] = set()
_MAX_GOOD_NAMES: Final = 4096
# Values are flat or nested; flat ones are capped at MAX_STRING_LENGTH characters (values.py)
# of at most 4 UTF-8 bytes, with a key of at most MAX_NAME_LENGTH such characters and framing.
_FLAT: Final = frozenset({str, int, float, bool})
_FLAT_MAX_BYTES: Final = 4 * (MAX_STRING_LENGTH + MAX_NAME_LENGTH) + 32


def _name_ok(event_name: str) -> bool:
    if event_name in _GOOD_NAMES:
        return True
    problem = name_problem(event_name)
    if problem is None:
        if len(_GOOD_NAMES) < _MAX_GOOD_NAMES:
            _GOOD_NAMES.add(event_name)
        return True
    guard.count("events_dropped_invalid_name")
    guard.warn("event-name", "otel_product_events: event %s is dropped: its name cannot be sent "
               "(%s).", shown(event_name), problem)
    return False


def _surely_within(attributes: dict[str, AttributeValue], limit: int) -> bool:
    # The common case, a few flat values, without measuring each one (emit's hot path).
    return (4 * MAX_NAME_LENGTH + _FLAT_MAX_BYTES * len(attributes) <= limit
            and _FLAT.issuperset(map(type, attributes.values())))


def _size_ok(event_name: str, attributes: dict[str, AttributeValue]) -> bool:
    limit = LIMITS.max_event_bytes
    if _surely_within(attributes, limit):
        return True
    size = event_size(event_name, attributes)
    if size <= limit:
        return True
    guard.count("events_dropped_too_large")
    guard.warn("event-too-large:" + event_name, "otel_product_events: event %s is dropped: its "
               "name and attributes take %d bytes, over the limit of %d (max_event_size).",
               shown(event_name), size, limit)
    return False


def emit_event(
    event_name: str, attributes: dict[str, AttributeValue], context: Context | None = None
) -> None:
    """Adds the per-event metadata to ``attributes`` (taking ownership) and emits the record.

    ``context`` carries the span to correlate with; None means the current one. Called while
    this thread is already emitting (a signal handler), it is deferred (:mod:`.reentry`).
    """
    if not reentry.enter():
        reentry.defer(emit_event, event_name, attributes, context)
        return
    try:
        emit_event_unguarded(event_name, attributes, context)
    finally:
        reentry.leave()


def emit_event_unguarded(
    event_name: str, attributes: dict[str, AttributeValue], context: Context | None = None
) -> None:
    """:func:`emit_event` for a caller that already holds :func:`reentry.enter`. An event whose
    name cannot be encoded, or larger than the per-event limit, is dropped alone and counted."""
    if not _name_ok(event_name):
        return
    now = time.time_ns()
    attributes[_UID] = new_uuid7(now)
    attributes[_INSTALLATION] = installation_id()
    if policy.active():
        allowed = policy.enforce(event_name, attributes)
        if allowed is None:
            return
        attributes = allowed
    if not _size_ok(event_name, attributes):
        return
    logger().emit(event_name=event_name, timestamp=now, attributes=attributes, context=context)
    if EXIT_WINDOW.deadline is not None:
        export_during_exit()
