"""Our own failures never reach the host application (except in strict mode, on purpose)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from opentelemetry import _logs
from opentelemetry.sdk._logs import LoggerProvider, LogRecordProcessor, ReadWriteLogRecord

import otel_product_events as pe
from otel_product_events import guard
from otel_product_events.testing import CapturedEvents


class _Breakable(LogRecordProcessor):
    """A log processor that raises while ``broken`` is set: the SDK failing under us."""

    broken = False

    def on_emit(self, log_record: ReadWriteLogRecord) -> None:
        if self.broken:
            raise OSError("disk full")

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


_breakable = _Breakable()


@pytest.fixture
def broken_pipeline(captured: CapturedEvents) -> Iterator[None]:
    provider = _logs.get_logger_provider()
    assert isinstance(provider, LoggerProvider)
    if _breakable not in provider._multi_log_record_processor._log_record_processors:
        provider.add_log_record_processor(_breakable)
    _breakable.broken = True
    yield
    _breakable.broken = False


@pe.track("order.placed", attributes={"order.id": "order_id"})
def place(order_id: str) -> str:
    return f"placed {order_id}"


@pytest.mark.usefixtures("broken_pipeline")
class TestFailuresInsideTheLibrary:
    def test_a_failing_pipeline_never_reaches_the_caller(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        """With strict mode off (production), the call returns normally and one warning says why."""
        guard.set_strict(False)
        with caplog.at_level(logging.WARNING, logger="otel_product_events"):
            results = [place(f"o-{i}") for i in range(50)]
            pe.emit("manual.event")
        assert results == [f"placed o-{i}" for i in range(50)]
        assert pe.stats()["internal_errors"] == 51
        warnings = [r.getMessage() for r in caplog.records]
        assert len(warnings) == 2  # one per kind (track.finish, emit), not one per call
        assert "Your code still runs, with less telemetry" in warnings[0]
        assert "disk full" not in caplog.text  # messages may quote private values

    def test_strict_mode_raises_so_tests_catch_it(self) -> None:
        """In strict mode (our test suite, a host app's CI) the same failure is an error."""
        guard.set_strict(True)
        with pytest.raises(pe.ProductEventsError, match=r"track\.finish"):
            place("o-1")

    def test_the_application_exception_wins_over_ours(self) -> None:
        """When the call itself fails, its exception is what the caller gets, even if we fail."""
        guard.set_strict(False)

        @pe.track("op.done")
        def op() -> None:
            raise KeyError("app error")

        with pytest.raises(KeyError, match="app error"):
            op()
