"""track_lifecycle: started and completed events for long-running work, for every kind of
callable and every outcome, as a decorator and as a context manager."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import otel_product_events as pe
from otel_product_events.testing import CapturedEvents

METADATA = {"log.record.uid", "app.installation.id"}


def without_metadata(attributes: Any) -> dict[str, Any]:
    return {k: v for k, v in attributes.items() if k not in METADATA}


class Pipeline:
    id = "pl-1"

    @pe.track_lifecycle("pipeline.run", attributes={"pipeline.id": "self.id",
                                                   "mode": "mode", "rows": "return"})
    def run(self, mode: str = "full") -> int:
        return 120


@pe.track_lifecycle("export.run", attributes={"format": "fmt"})
async def export(fmt: str) -> str:
    await asyncio.sleep(0)
    return "ok"


@pe.track_lifecycle("batch.run", attributes={"size": "size"})
def batches(size: int) -> Iterator[int]:
    yield from range(size)


@pe.track_lifecycle("stream.run")
async def stream() -> AsyncIterator[int]:
    yield 1


class TestPairs:
    def test_a_run_emits_started_then_completed_sharing_attributes_and_run_id(
        self, captured: CapturedEvents
    ) -> None:
        """The completed event repeats the started one, plus outcome, duration and results."""
        assert Pipeline().run("incremental") == 120
        started, completed = captured
        assert (started.name, completed.name) == ("pipeline.run.started", "pipeline.run.completed")
        start = without_metadata(started.attributes)
        end = without_metadata(completed.attributes)
        assert start == {"pipeline.id": "pl-1", "mode": "incremental",
                         "product.run.id": start["product.run.id"],
                         "code.function.name": "tests.instrument.test_lifecycle.Pipeline.run"}
        assert end.pop("product.duration_ms") >= 0
        assert end == {**start, "rows": 120, "product.outcome": "success"}
        assert started.span_id == completed.span_id == captured.spans[0].context.span_id

    def test_each_run_gets_its_own_run_id(self, captured: CapturedEvents) -> None:
        Pipeline().run()
        Pipeline().run()
        run_ids = [e.attributes["product.run.id"] for e in captured]
        assert run_ids[0] == run_ids[1] != run_ids[2] == run_ids[3]

    @pytest.mark.parametrize(
        ("call", "name", "expected"),
        [
            (lambda: asyncio.run(export("csv")), "export.run", {"format": "csv"}),
            (lambda: list(batches(3)), "batch.run", {"size": 3}),
            (lambda: asyncio.run(_drain(stream())), "stream.run", {}),
        ],
        ids=["coroutine", "generator", "async-generator"],
    )
    def test_every_kind_of_callable(self, captured: CapturedEvents, call: Any, name: str,
                                    expected: dict[str, Any]) -> None:
        call()
        assert captured.names() == [f"{name}.started", f"{name}.completed"]
        assert captured[1].attributes["product.outcome"] == "success"
        for key, value in expected.items():
            assert captured[0].attributes[key] == captured[1].attributes[key] == value

    def test_started_is_emitted_before_the_work_runs(self, captured: CapturedEvents) -> None:
        """The started event is out before the function body starts."""
        seen: list[list[str]] = []

        @pe.track_lifecycle("job.run")
        def job() -> None:
            seen.append(captured.names())

        job()
        assert seen == [["job.run.started"]]


async def _drain(agen: AsyncIterator[int]) -> list[int]:
    return [item async for item in agen]


class TestOutcomes:
    def test_failure_carries_error_type_and_reraises(self, captured: CapturedEvents) -> None:
        @pe.track_lifecycle("job.run")
        def job() -> None:
            raise ConnectionError("db")

        with pytest.raises(ConnectionError):
            job()
        completed = captured[1].attributes
        assert (completed["product.outcome"], completed["error.type"]) == (
            "failure", "ConnectionError")

    @pytest.mark.parametrize("raised", [KeyboardInterrupt])  # exits: test_program_outcomes.py
    def test_an_interrupt_is_cancelled(self, captured: CapturedEvents,
                                              raised: type[BaseException]) -> None:
        @pe.track_lifecycle("job.run")
        def job() -> None:
            raise raised

        with pytest.raises(raised):
            job()
        assert captured[1].attributes["product.outcome"] == "cancelled"
        assert captured[1].attributes["error.type"] == raised.__name__

    def test_cancelled_task_is_cancelled(self, captured: CapturedEvents) -> None:
        @pe.track_lifecycle("wait.run")
        async def wait() -> None:
            await asyncio.sleep(10)

        async def main() -> None:
            task = asyncio.ensure_future(wait())
            await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        asyncio.run(main())
        assert captured[1].attributes["product.outcome"] == "cancelled"

    def test_generator_closed_early_is_cancelled(self, captured: CapturedEvents) -> None:
        gen = batches(10)
        next(gen)
        gen.close()
        assert captured[1].attributes["product.outcome"] == "cancelled"
        assert captured[1].attributes["error.type"] == "GeneratorExit"


class TestContextManager:
    def test_block_emits_the_pair_with_values_and_final_state(
        self, captured: CapturedEvents
    ) -> None:
        """Attributes are values here; set_attributes adds final state to completed only."""
        with pe.track_lifecycle("sync.run", attributes={"source": "github"}) as run:
            run.set_attributes({"items.synced": 42})
        started, completed = captured
        assert started.attributes["source"] == completed.attributes["source"] == "github"
        assert "items.synced" not in started.attributes
        assert completed.attributes["items.synced"] == 42
        assert completed.attributes["product.run.id"] == run.run_id
        assert completed.attributes["product.outcome"] == "success"

    def test_exception_in_the_block_is_failure_and_propagates(
        self, captured: CapturedEvents
    ) -> None:
        with pytest.raises(ValueError, match="bad"), pe.track_lifecycle("sync.run"):
            raise ValueError("bad")
        assert captured[1].attributes["product.outcome"] == "failure"

    def test_async_with(self, captured: CapturedEvents) -> None:
        async def main() -> None:
            async with pe.track_lifecycle("sync.run"):
                pe.emit("inside")

        asyncio.run(main())
        assert captured.names() == ["sync.run.started", "inside", "sync.run.completed"]
        assert captured[1].span_id == captured[0].span_id != 0

    def test_disabled_block_runs_and_emits_nothing(self, captured: CapturedEvents) -> None:
        pe.set_enabled(False)
        with pe.track_lifecycle("sync.run") as run:
            run.set_attributes({"x": 1})
        assert len(captured) == 0

    def test_no_heartbeats_in_a_long_block(self, captured: CapturedEvents) -> None:
        """Exactly two events however long the work takes."""

        @pe.track_lifecycle("long.run")
        def long() -> None:
            time.sleep(0.3)

        long()
        assert len(captured) == 2
