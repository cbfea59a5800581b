"""The recorder behind :func:`track`: one span and one product event per call.

Everything that can be decided once (names, static attributes, compiled sources) is decided in
``__init__``; ``begin`` and ``finish`` do only per-call work, and never raise.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, Status, StatusCode

from otel_product_events import guard, semconv
from otel_product_events.attributes import AttributeValue
from otel_product_events.instrument.events import emit_event, new_attributes
from otel_product_events.instrument.extract import AttributePlan
from otel_product_events.pipeline.bound import tracer

_set_span_in_context = trace.set_span_in_context
_ERROR_STATUS = Status(StatusCode.ERROR)


def exit_code_of(error: BaseException) -> int | None:
    """The status a program ending with ``error`` exits with: ``SystemExit``'s code (None and
    0 are 0, any other non-integer is 1, as the interpreter does) or an ``exit_code`` integer
    attribute (click's ``Exit``, ``ClickException``, ...); None when ``error`` is no exit."""
    if isinstance(error, SystemExit):
        code = error.code
        if code is None:
            return 0
        return code if isinstance(code, int) else 1  # bool is an int: True exits with 1
    code = getattr(error, "exit_code", None)
    return code if isinstance(code, int) else None


def outcome_of(error: BaseException | None) -> str:
    """``success``; ``failure`` for an Exception; ``cancelled`` for the other BaseExceptions
    (KeyboardInterrupt, GeneratorExit, asyncio.CancelledError). An exit says how the program
    ended: status 0 (``sys.exit()``, click's ``Exit(0)``) is ``success``, any other ``failure``."""
    if error is None:
        return semconv.OUTCOME_SUCCESS
    code = exit_code_of(error)
    if code is not None:
        return semconv.OUTCOME_SUCCESS if code == 0 else semconv.OUTCOME_FAILURE
    if isinstance(error, Exception):
        return semconv.OUTCOME_FAILURE
    return semconv.OUTCOME_CANCELLED


def error_type(error: BaseException) -> str:
    """The semconv ``error.type``: the exception class's fully qualified name."""
    cls = type(error)
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def record_outcome(attributes: dict[str, AttributeValue], span: Span | None,
                   error: BaseException | None) -> None:
    """Adds ``product.outcome`` to the event; for a failure or cancellation ``error.type`` too,
    and ``process.exit.code`` for an exit with a non-zero status; marks a failed span."""
    outcome = attributes[semconv.PRODUCT_OUTCOME] = outcome_of(error)
    if error is None or outcome == semconv.OUTCOME_SUCCESS:
        return  # a successful exit is no error: no error.type, as for a plain return
    kind = attributes[semconv.ERROR_TYPE] = error_type(error)
    code = exit_code_of(error)
    if code is not None:
        attributes[semconv.PROCESS_EXIT_CODE] = code
    if span is not None:
        # No record_exception: an exception message may quote private data.
        span.set_attribute(semconv.ERROR_TYPE, kind)
        if outcome == semconv.OUTCOME_FAILURE:
            span.set_status(_ERROR_STATUS)


def end_span(span: Span | None, where: str) -> None:
    """Ends ``span``; a failure there is ours to report, never the caller's."""
    if span is not None:
        try:
            span.end()
        except Exception as failure:
            guard.internal_error(where, failure)


class TrackedRun:
    __slots__ = ("context", "span")

    def __init__(self, span: Span | None, context: Context | None) -> None:
        self.span = span
        self.context = context


_NO_SPAN_RUN = TrackedRun(None, None)


class TrackRecorder:
    """Turns each call of one function into a span and a product event."""

    __slots__ = ("_event_name", "_function_name", "_plan", "_span_attributes", "_span_name",
                 "_with_span", "called", "enabled")

    def __init__(
        self, event_name: str, function_name: str, plan: AttributePlan, *, span_name: str,
        with_span: bool,
    ) -> None:
        self._event_name = event_name
        self._function_name = function_name
        self._plan = plan
        self._span_name = span_name
        self._with_span = with_span
        self._span_attributes = {semconv.CODE_FUNCTION_NAME: function_name}
        #: Set by the first call: zero-code warns at exit about targets never reached.
        self.called = False
        #: Cleared when zero-code stops: a wrapper it left in a framework's table calls through.
        self.enabled = True

    @property
    def reads_arguments(self) -> bool:
        """Whether an attribute reads the call's arguments (else they need not be collected)."""
        return any(not source.needs_return for _, source in self._plan.sources)

    def begin(
        self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> TrackedRun | None:
        if not self.enabled:
            return None
        self.called = True
        if not self._with_span:
            return _NO_SPAN_RUN
        try:
            span = tracer().start_span(self._span_name, attributes=self._span_attributes)
            return TrackedRun(span, _set_span_in_context(span))
        except Exception as error:
            guard.internal_error("track.begin", error)
            return None

    def finish(
        self,
        run: TrackedRun,
        instance: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        result: Any,
        error: BaseException | None,
    ) -> None:
        span = run.span
        try:
            attributes = new_attributes()
            self._plan.extract(attributes, instance, args, kwargs, result, error is None)
            attributes[semconv.CODE_FUNCTION_NAME] = self._function_name
            record_outcome(attributes, span, error)
            emit_event(self._event_name, attributes, run.context)
        except Exception as failure:
            guard.internal_error("track.finish", failure)
        finally:
            end_span(span, "track.span_end")
