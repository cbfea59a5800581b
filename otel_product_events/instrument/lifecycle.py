"""``track_lifecycle``: a ``<name>.started`` event when long-running work begins and a
``<name>.completed`` event when it ends, so a run killed in between is visible as an orphan.

The completed event repeats the started one's attributes and ``product.run.id``, and adds the
final state: ``product.outcome``, ``product.duration_ms`` and ``error.type``. There are no
heartbeats. The started event is pushed to the exporter at once instead of waiting in the
batch queue, so it survives a ``kill -9`` a moment later.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, TypeVar

from opentelemetry.context import Context, attach, detach
from opentelemetry.trace import Span, set_span_in_context

from otel_product_events import guard, semconv
from otel_product_events.attributes import AttributeSource, AttributeValue
from otel_product_events.ids import new_uuid7
from otel_product_events.instrument import recorders
from otel_product_events.instrument.api import (
    TrackedFunction,
    _check_event_name,
    add_values,
)
from otel_product_events.instrument.events import emit_event, new_attributes
from otel_product_events.instrument.extract import (
    AttributePlan,
    _warn_at_caller,
    compile_attributes,
    signature_of,
)
from otel_product_events.instrument.tracking import end_span, record_outcome
from otel_product_events.instrument.wrappers import build_wrapper, kind_of
from otel_product_events.pipeline.bound import tracer
from otel_product_events.pipeline.flushing import export_soon
from otel_product_events.privacy.consent import SWITCH

_F = TypeVar("_F")


class LifecycleRun:
    """One run in flight: its id, and attributes to add to the completed event."""

    __slots__ = ("_started_ns", "attributes", "context", "event_name", "run_id", "span")

    def __init__(self, event_name: str, span: Span | None, context: Context | None,
                 attributes: dict[str, AttributeValue], run_id: str) -> None:
        self.event_name = event_name
        self.span = span
        self.context = context
        self.attributes = attributes
        self.run_id = run_id
        self._started_ns = time.monotonic_ns()

    def set_attributes(self, attributes: Mapping[str, object]) -> None:
        """Adds attributes to the completed event (final state: rows written, items synced)."""
        add_values(self.event_name, attributes, self.attributes)

    def elapsed_ms(self) -> float:
        return (time.monotonic_ns() - self._started_ns) / 1e6


class _LifecycleEvents:
    """Emits the pair of events of one lifecycle name (decorator or context manager)."""

    __slots__ = ("_completed", "_function_name", "_span_name", "_started", "_with_span")

    def __init__(self, name: str, function_name: str | None, span_name: str,
                 with_span: bool) -> None:
        self._started = f"{name}.started"
        self._completed = f"{name}.completed"
        self._function_name = function_name
        self._span_name = span_name
        self._with_span = with_span

    def start(self, attributes: dict[str, AttributeValue]) -> LifecycleRun | None:
        try:
            span = tracer().start_span(self._span_name) if self._with_span else None
            context = _span_context(span)
            run_id = new_uuid7()
            attributes[semconv.PRODUCT_RUN_ID] = run_id
            if self._function_name is not None:
                attributes[semconv.CODE_FUNCTION_NAME] = self._function_name
            run = LifecycleRun(self._completed, span, context, attributes, run_id)
            emit_event(self._started, dict(attributes), context)
            export_soon()
            return run
        except Exception as error:
            guard.internal_error("lifecycle.start", error)
            return None

    def complete(self, run: LifecycleRun, error: BaseException | None) -> None:
        span = run.span
        try:
            attributes = dict(run.attributes)
            attributes[semconv.PRODUCT_RUN_ID] = run.run_id  # set_attributes cannot replace it
            attributes[semconv.PRODUCT_DURATION_MS] = round(run.elapsed_ms(), 3)
            record_outcome(attributes, span, error)
            emit_event(self._completed, attributes, run.context)
        except Exception as failure:
            guard.internal_error("lifecycle.complete", failure)
        finally:
            end_span(span, "lifecycle.span_end")


def _span_context(span: Span | None) -> Context | None:
    return None if span is None else set_span_in_context(span)


class _LifecycleRecorder:
    """The wrapper side: attributes read from the call at start, and the result at the end."""

    __slots__ = ("_at_end", "_at_start", "_events")

    def __init__(self, events: _LifecycleEvents, plan: AttributePlan) -> None:
        self._events = events
        self._at_start = plan.at_start()
        self._at_end = plan.at_end()

    def begin(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
              ) -> LifecycleRun | None:
        try:
            attributes = new_attributes()
            self._at_start.extract(attributes, instance, args, kwargs, None, False)
        except Exception as error:
            guard.internal_error("lifecycle.begin", error)
            return None
        return self._events.start(attributes)

    def finish(self, run: LifecycleRun, instance: Any, args: tuple[Any, ...],
               kwargs: dict[str, Any], result: Any, error: BaseException | None) -> None:
        try:
            self._at_end.extract(run.attributes, instance, args, kwargs, result, error is None)
        except Exception as failure:
            guard.internal_error("lifecycle.finish", failure)
        self._events.complete(run, error)


class track_lifecycle:
    """Tracks long-running work as a ``<name>.started`` / ``<name>.completed`` pair.

    As a decorator (any kind of callable), ``attributes`` maps names to sources, as in
    :func:`track`::

        @pe.track_lifecycle("pipeline.run", attributes={"pipeline.id": "pipeline.id"})
        def run_pipeline(pipeline): ...

    As a context manager, ``attributes`` holds the values themselves, and the run can add
    final-state attributes to the completed event::

        with pe.track_lifecycle("sync", attributes={"source": "github"}) as run:
            run.set_attributes({"items.synced": sync()})
    """

    def __init__(self, name: str, *, attributes: Mapping[str, Any] | None = None,
                 span: bool = True) -> None:
        self._name = _check_event_name(name, "track_lifecycle", ".completed")
        self._attributes = attributes
        self._with_span = span
        self._run: LifecycleRun | None = None
        self._token: object = None

    def __call__(self, function: _F) -> _F:
        if not callable(function) and not hasattr(function, "__func__"):
            raise TypeError(f"@track_lifecycle({self._name!r}) decorates functions, not "
                            f"{type(function).__name__}")
        target: Any = getattr(function, "__func__", function)
        function_name = recorders.function_name(function)
        sources: Mapping[str, AttributeSource] | None = recorders.valid_sources(
            self._name, self._attributes, _warn_at_caller)
        plan = compile_attributes(self._name, sources, signature_of(target), function_name)
        events = _LifecycleEvents(self._name, function_name,
                                  str(getattr(target, "__qualname__", function_name)),
                                  self._with_span)
        wrapper = build_wrapper(kind_of(function), _LifecycleRecorder(events, plan))
        return TrackedFunction(function, wrapper)  # type: ignore[arg-type, return-value]

    def __enter__(self) -> LifecycleRun:
        if self._run is not None:
            raise RuntimeError("this track_lifecycle block is already running; create a new one")
        attributes = new_attributes()
        if SWITCH.on:
            if self._attributes is not None:
                add_values(self._name, self._attributes, attributes)
            run = _LifecycleEvents(self._name, None, self._name, self._with_span).start(attributes)
        else:
            run = None
        self._run = run or LifecycleRun(self._name, None, None, attributes, "")
        if self._run.context is not None:
            self._token = attach(self._run.context)
        return self._run

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        run, self._run = self._run, None
        if self._token is not None:
            detach(self._token)  # type: ignore[arg-type]
            self._token = None
        if run is not None and run.run_id:
            _LifecycleEvents(self._name, None, self._name, self._with_span).complete(run, exc)

    async def __aenter__(self) -> LifecycleRun:
        return self.__enter__()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        traceback: TracebackType | None) -> None:
        self.__exit__(exc_type, exc, traceback)


__all__ = ["LifecycleRun", "track_lifecycle"]
