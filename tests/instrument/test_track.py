"""track(): one span and one product event per call, for every kind of callable."""

from __future__ import annotations

import asyncio
import inspect
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import otel_product_events as pe
from otel_product_events.testing import CapturedEvent, CapturedEvents

UUID7 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def product_attributes(event: CapturedEvent) -> dict[str, Any]:
    """The event's attributes minus the per-event metadata, after checking that metadata."""
    attributes = dict(event.attributes)
    assert UUID7.match(str(attributes.pop("log.record.uid")))
    uuid.UUID(str(attributes.pop("app.installation.id")))
    return attributes


@dataclass
class Owner:
    id: str
    email: str


@dataclass
class Incident:
    id: str
    owner: Owner
    title: str


class IncidentService:
    team_id = "team-7"

    @pe.track("incident.created", attributes={"team.id": "self.team_id",
                                              "incident.id": "return.id"})
    def create(self, title: str, commander: Owner) -> Incident:
        """Creates an incident."""
        return Incident("inc-1", commander, title)

    @pe.track("service.loaded", attributes={"kind": "kind"})
    @classmethod
    def load(cls, kind: str) -> str:
        return f"{cls.__name__}:{kind}"

    @pe.track("title.checked", attributes={"length": "return"})
    @staticmethod
    def check_title(title: str) -> int:
        return len(title)


@pe.track("incident.finished", attributes={"incident.id": "incident.id",
                                           "owner.id": "incident.owner.id",
                                           "items": "total_items"})
def finish(incident: Incident, *, total_items: int = 3, note: str = "private note") -> bool:
    """Finishes an incident."""
    return True


@pe.track("items.listed", attributes={"count": "count", "returned": "return"})
def list_items(count: int) -> Iterator[int]:
    yield from range(count)
    return "done"


@pe.track("incident.synced", attributes={"incident.id": "incident_id"})
async def sync_incident(incident_id: str, secret: str = "token") -> str:
    await asyncio.sleep(0)
    return incident_id


@pe.track("items.streamed", attributes={"count": "count"})
async def stream_items(count: int) -> AsyncIterator[int]:
    for i in range(count):
        await asyncio.sleep(0)
        yield i


class TestEventPerCall:
    def test_a_call_emits_one_event_with_declared_attributes_and_metadata(
        self, captured: CapturedEvents
    ) -> None:
        """A plain function call becomes exactly one event carrying its declared attributes."""
        incident = Incident("inc-9", Owner("u-1", "ann@example.com"), "Database down")
        assert finish(incident) is True
        assert captured.names() == ["incident.finished"]
        assert product_attributes(captured[0]) == {
            "incident.id": "inc-9",
            "owner.id": "u-1",
            "items": 3,
            "code.function.name": "tests.instrument.test_track.finish",
            "product.outcome": "success",
        }

    def test_event_is_correlated_with_the_span_of_the_call(self, captured: CapturedEvents) -> None:
        """The record carries the trace and span id of the span that wrapped the call."""
        finish(Incident("i", Owner("u", "e"), "t"))
        (span,) = captured.spans
        assert span.name == "finish"
        assert span.attributes == {"code.function.name": "tests.instrument.test_track.finish"}
        assert captured[0].trace_id == span.context.trace_id != 0
        assert captured[0].span_id == span.context.span_id != 0

    def test_the_span_is_current_inside_the_function(self, captured: CapturedEvents) -> None:
        """Code inside the tracked function sees the tracking span as its current span."""
        from opentelemetry import trace

        seen: list[int] = []

        @pe.track("inner.checked")
        def inner() -> None:
            seen.append(trace.get_current_span().get_span_context().span_id)

        inner()
        assert seen == [captured.spans[0].context.span_id]
        assert not trace.get_current_span().get_span_context().is_valid

    def test_event_has_scope_timestamps_and_resource(self, captured: CapturedEvents) -> None:
        """Scope name and version, event timestamp and observed timestamp are all set."""
        finish(Incident("i", Owner("u", "e"), "t"))
        event = captured[0]
        assert (event.scope_name, event.scope_version) == ("otel_product_events", pe.__version__)
        assert event.timestamp
        assert event.observed_timestamp
        assert abs(event.timestamp - event.observed_timestamp) < 5_000_000_000
        assert "service.name" in event.resource

    def test_every_event_gets_a_new_record_uid(self, captured: CapturedEvents) -> None:
        """log.record.uid is unique per event, so a warehouse can deduplicate on it."""
        for _ in range(200):
            pe.emit("thing.happened")
        uids = {event.attributes["log.record.uid"] for event in captured}
        assert len(uids) == 200

    def test_span_false_correlates_with_the_callers_span(self, captured: CapturedEvents) -> None:
        """With span=False no span is made; the event belongs to the caller's span."""
        from opentelemetry import trace

        @pe.track("cheap.call", span=False)
        def cheap() -> int:
            return 1

        with trace.get_tracer("test").start_as_current_span("caller") as caller:
            assert cheap() == 1
        assert [s.name for s in captured.spans] == ["caller"]
        assert captured[0].span_id == caller.get_span_context().span_id


class TestCallableKinds:
    def test_method_reads_self(self, captured: CapturedEvents) -> None:
        """A method's attributes can read from self, and from the return value."""
        result = IncidentService().create("Disk full", Owner("u-2", "x@example.com"))
        assert result.id == "inc-1"
        assert product_attributes(captured[0]) == {
            "team.id": "team-7", "incident.id": "inc-1", "product.outcome": "success",
            "code.function.name": "tests.instrument.test_track.IncidentService.create",
        }

    def test_method_called_through_the_class(self, captured: CapturedEvents) -> None:
        """Service.method(instance, ...) binds the same way as instance.method(...)."""
        IncidentService.create(IncidentService(), "t", Owner("u", "e"))
        assert captured[0].attributes["team.id"] == "team-7"

    def test_classmethod(self, captured: CapturedEvents) -> None:
        """A classmethod gets its class, and parameters after cls resolve correctly."""
        assert IncidentService.load("cold") == "IncidentService:cold"
        assert captured[0].attributes["kind"] == "cold"

    def test_staticmethod(self, captured: CapturedEvents) -> None:
        """A staticmethod, called through the class or an instance."""
        assert IncidentService.check_title("abc") == 3
        assert IncidentService().check_title("abcd") == 4
        assert [e.attributes["length"] for e in captured] == [3, 4]

    def test_generator_event_comes_when_it_is_exhausted(self, captured: CapturedEvents) -> None:
        """A generator's event is emitted at exhaustion, with its return value."""
        items = list_items(3)
        assert captured.names() == []
        assert list(items) == [0, 1, 2]
        assert product_attributes(captured[0]) == {
            "count": 3, "returned": "done", "product.outcome": "success",
            "code.function.name": "tests.instrument.test_track.list_items",
        }

    def test_generator_send_and_throw_pass_through(self, captured: CapturedEvents) -> None:
        """send() and throw() reach the wrapped generator exactly as without tracking."""

        @pe.track("echo.done")
        def echo() -> Iterator[Any]:
            received = yield "ready"
            while True:
                try:
                    received = yield f"got {received}"
                except KeyError:
                    received = "recovered"

        gen = echo()
        assert next(gen) == "ready"
        assert gen.send(1) == "got 1"
        assert gen.throw(KeyError("k")) == "got recovered"
        gen.close()
        assert captured[0].attributes["product.outcome"] == "cancelled"
        assert captured[0].attributes["error.type"] == "GeneratorExit"

    def test_span_is_current_only_while_the_generator_runs(
        self, captured: CapturedEvents
    ) -> None:
        """Between two items the consumer runs in its own context, not the generator's span."""
        from opentelemetry import trace

        inside: list[bool] = []

        @pe.track("walk.done")
        def walk() -> Iterator[int]:
            for i in range(2):
                inside.append(trace.get_current_span().get_span_context().is_valid)
                yield i

        for _ in walk():
            assert not trace.get_current_span().get_span_context().is_valid
        assert inside == [True, True]

    def test_coroutine(self, captured: CapturedEvents) -> None:
        """An async function stays a coroutine function and its event follows the await."""
        assert inspect.iscoroutinefunction(sync_incident)
        assert asyncio.run(sync_incident("inc-3")) == "inc-3"
        assert product_attributes(captured[0]) == {
            "incident.id": "inc-3", "product.outcome": "success",
            "code.function.name": "tests.instrument.test_track.sync_incident",
        }

    def test_async_generator(self, captured: CapturedEvents) -> None:
        """An async generator stays one and emits once, when exhausted."""

        async def consume() -> list[int]:
            return [item async for item in stream_items(2)]

        assert inspect.isasyncgenfunction(stream_items)
        assert asyncio.run(consume()) == [0, 1]
        assert captured.names() == ["items.streamed"]
        assert captured[0].attributes["count"] == 2

    def test_concurrent_tasks_get_their_own_spans(self, captured: CapturedEvents) -> None:
        """Two tasks interleaving awaits each correlate with their own span."""

        async def main() -> None:
            await asyncio.gather(sync_incident("a"), sync_incident("b"))

        asyncio.run(main())
        spans = {s.context.span_id for s in captured.spans}
        assert {e.span_id for e in captured} == spans
        assert len(spans) == 2


class TestOutcome:
    def test_failure_reraises_the_same_exception_and_reports_error_type(
        self, captured: CapturedEvents
    ) -> None:
        """The exception object passes through unchanged; the event says failure and its type."""
        error = LookupError("customer 42 not found")

        @pe.track("order.placed", attributes={"order.id": "order_id"})
        def place(order_id: str) -> None:
            raise error

        with pytest.raises(LookupError) as raised:
            place("o-1")
        assert raised.value is error
        assert product_attributes(captured[0]) == {
            "order.id": "o-1", "product.outcome": "failure", "error.type": "LookupError",
            "code.function.name": "tests.instrument.test_track.TestOutcome."
                                  "test_failure_reraises_the_same_exception_and_reports_error_type"
                                  ".<locals>.place",
        }

    def test_failed_span_has_error_status_and_no_exception_message(
        self, captured: CapturedEvents
    ) -> None:
        """The span is marked failed, but the exception's message (maybe private) is not sent."""
        from opentelemetry.trace import StatusCode

        @pe.track("op.done")
        def op() -> None:
            raise ValueError("password=hunter2")

        with pytest.raises(ValueError, match="hunter2"):
            op()
        (span,) = captured.spans
        assert span.status.status_code is StatusCode.ERROR
        assert span.attributes is not None
        assert span.attributes["error.type"] == "ValueError"
        assert "hunter2" not in repr(span.events) + repr(span.status.description)
        assert "hunter2" not in repr(captured[0].attributes)

    def test_error_type_is_module_qualified_for_non_builtins(
        self, captured: CapturedEvents
    ) -> None:
        """error.type names the exception class with its module, as semantic conventions ask."""

        class QuotaExceeded(Exception):
            pass

        @pe.track("op.done")
        def op() -> None:
            raise QuotaExceeded

        with pytest.raises(QuotaExceeded):
            op()
        assert captured[0].attributes["error.type"] == (
            "tests.instrument.test_track.TestOutcome.test_error_type_is_module_qualified_for_non_builtins"
            ".<locals>.QuotaExceeded")

    def test_keyboard_interrupt_is_cancelled(self, captured: CapturedEvents) -> None:
        """BaseExceptions that are not errors (Ctrl-C, exit, cancellation) say cancelled."""

        @pe.track("op.done")
        def op() -> None:
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            op()
        assert captured[0].attributes["product.outcome"] == "cancelled"

    def test_cancelled_task_is_cancelled(self, captured: CapturedEvents) -> None:
        """asyncio cancellation of a tracked coroutine reports cancelled and re-raises."""

        @pe.track("wait.done")
        async def wait() -> None:
            await asyncio.sleep(10)

        async def main() -> None:
            task = asyncio.ensure_future(wait())
            await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        asyncio.run(main())
        assert captured[0].attributes["product.outcome"] == "cancelled"
        assert captured[0].attributes["error.type"] == "asyncio.exceptions.CancelledError"

    def test_return_attributes_are_absent_when_the_call_raised(
        self, captured: CapturedEvents
    ) -> None:
        """There is no return value to read after an exception; nothing is reported dropped."""

        @pe.track("op.done", attributes={"id": "return.id", "arg": "value"})
        def op(value: int) -> None:
            raise RuntimeError

        with pytest.raises(RuntimeError):
            op(5)
        assert captured[0].attributes["arg"] == 5
        assert "id" not in captured[0].attributes
        assert pe.stats() == {}
