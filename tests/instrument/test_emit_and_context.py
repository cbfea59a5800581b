"""emit() by hand, and product context carried to every event inside it."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import threading

import pytest
from opentelemetry import trace

import otel_product_events as pe
from otel_product_events.testing import CapturedEvents


class TestEmit:
    def test_emit_sends_the_given_attributes_in_the_current_span(
        self, captured: CapturedEvents
    ) -> None:
        """A manual event carries its attributes and belongs to the span it was emitted in."""
        with trace.get_tracer("test").start_as_current_span("request") as span:
            pe.emit("feature.used", {"feature": "export", "rows": 12})
        event = captured[0]
        assert event.name == "feature.used"
        assert (event.attributes["feature"], event.attributes["rows"]) == ("export", 12)
        assert event.span_id == span.get_span_context().span_id
        assert "product.outcome" not in event.attributes

    def test_emit_never_raises_on_bad_input(
        self, captured: CapturedEvents, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A wrong name or value is dropped and reported, the caller goes on."""
        with caplog.at_level(logging.WARNING, logger="otel_product_events"):
            pe.emit(42)  # type: ignore[arg-type]
            pe.emit("ok.event", {"good": 1, "bad": object(), "log.record.uid": "forged"})
        assert captured.names() == ["ok.event"]
        assert captured[0].attributes["good"] == 1
        assert "bad" not in captured[0].attributes
        assert captured[0].attributes["log.record.uid"] != "forged"
        assert pe.stats() == {"events_dropped": 1, "attributes_dropped": 2}


class TestProductContext:
    def test_context_attributes_join_every_event_inside(self, captured: CapturedEvents) -> None:
        """Both tracked calls and manual events inside the block carry the context."""

        @pe.track("op.done", attributes={"n": "n"})
        def op(n: int) -> None:
            pass

        with pe.product_context({"tenant": "acme", "plan": "pro"}):
            op(1)
            pe.emit("manual.done")
        pe.emit("outside.done")
        assert [e.attributes.get("tenant") for e in captured] == ["acme", "acme", None]

    def test_inner_blocks_add_and_override_then_restore(self, captured: CapturedEvents) -> None:
        """Nested blocks merge; leaving one restores exactly the outer context."""
        with pe.product_context({"a": 1, "b": 1}):
            with pe.product_context({"b": 2, "c": 3}):
                pe.emit("inner")
            pe.emit("outer")
        inner, outer = captured
        assert {k: inner.attributes[k] for k in "abc"} == {"a": 1, "b": 2, "c": 3}
        assert (outer.attributes["b"], "c" in outer.attributes) == (1, False)

    def test_declared_attributes_win_over_context(self, captured: CapturedEvents) -> None:
        """An attribute declared on the call is more specific than the context's."""
        with pe.product_context({"plan": "free"}):
            pe.emit("upgraded", {"plan": "pro"})
        assert captured[0].attributes["plan"] == "pro"

    def test_context_follows_asyncio_tasks(self, captured: CapturedEvents) -> None:
        """Tasks created inside the block see its attributes, each task its own."""

        async def worker(name: str) -> None:
            async with pe.product_context({"worker": name}):
                await asyncio.sleep(0)
                pe.emit("task.done")

        async def main() -> None:
            with pe.product_context({"job": "j1"}):
                await asyncio.gather(worker("a"), worker("b"))

        asyncio.run(main())
        assert sorted((e.attributes["job"], e.attributes["worker"]) for e in captured) == [
            ("j1", "a"), ("j1", "b")]

    def test_context_follows_threads_started_with_a_copied_context(
        self, captured: CapturedEvents
    ) -> None:
        """A thread running in a copy of the context sees the attributes; a bare one does not."""
        with pe.product_context({"tenant": "acme"}):
            copied = contextvars.copy_context()
            with_context = threading.Thread(target=copied.run, args=(pe.emit, "with"))
            bare = threading.Thread(target=pe.emit, args=("bare",))
            for thread in (with_context, bare):
                thread.start()
                thread.join()
        by_name = {e.name: e.attributes.get("tenant") for e in captured}
        assert by_name == {"with": "acme", "bare": None}

    def test_a_context_cannot_be_entered_twice(self) -> None:
        """Re-entering the same object is a programming error, reported at once."""
        context = pe.product_context({"a": 1})
        with context, pytest.raises(RuntimeError, match="already entered"), context:
            pass

    def test_non_mapping_is_a_type_error(self) -> None:
        with pytest.raises(TypeError, match="mapping"):
            pe.product_context(["a"])  # type: ignore[arg-type]
