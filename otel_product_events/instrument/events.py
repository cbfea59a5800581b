"""The one place a product event is built and emitted: an OTel log record with an event name.

Every event carries its name as the record's ``event_name``, the instrumentation scope
``otel_product_events``, a timestamp (the SDK leaves it empty; semantic conventions require it
for events), ``log.record.uid``, ``app.installation.id``, and the trace/span ids of the context
it is emitted in.
"""

from __future__ import annotations

import time
from typing import Final

from opentelemetry.context import Context

from otel_product_events import semconv
from otel_product_events.attributes import AttributeValue
from otel_product_events.catalog import policy
from otel_product_events.ids import new_uuid7
from otel_product_events.instrument import reentry
from otel_product_events.instrument.context import current as current_product_context
from otel_product_events.pipeline.bound import logger
from otel_product_events.pipeline.flushing import EXIT_WINDOW, export_during_exit
from otel_product_events.privacy.installation import installation_id


def new_attributes() -> dict[str, AttributeValue]:
    """A fresh attribute dict holding the product context in effect here."""
    context = current_product_context()
    return dict(context) if context else {}


_UID: Final = semconv.LOG_RECORD_UID
_INSTALLATION: Final = semconv.APP_INSTALLATION_ID


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
    """:func:`emit_event` for a caller that already holds :func:`reentry.enter`."""
    now = time.time_ns()
    attributes[_UID] = new_uuid7(now)
    attributes[_INSTALLATION] = installation_id()
    if policy.active():
        allowed = policy.enforce(event_name, attributes)
        if allowed is None:
            return
        attributes = allowed
    logger().emit(event_name=event_name, timestamp=now, attributes=attributes, context=context)
    if EXIT_WINDOW.deadline is not None:
        export_during_exit()
