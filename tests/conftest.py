"""Shared fixtures: every test starts with a clean slate and captures what would be exported."""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass

# Before the package is imported (it reads the environment once): a private state directory,
# no opt-out inherited from the shell, and strict mode so our own bugs fail tests.
os.environ["OTEL_PRODUCT_EVENTS_STATE_DIR"] = tempfile.mkdtemp(prefix="ope-state-")
for _name in ("DO_NOT_TRACK", "OTEL_PRODUCT_EVENTS_ENABLED", "OTEL_SDK_DISABLED",
              "OTEL_PRODUCT_EVENTS_INSTALLATION_ID"):
    os.environ.pop(_name, None)
os.environ["OTEL_PRODUCT_EVENTS_STRICT"] = "true"

import pytest  # noqa: E402
from opentelemetry import _logs  # noqa: E402
from opentelemetry.sdk._logs import LoggerProvider  # noqa: E402
from opentelemetry.sdk._logs.export import (  # noqa: E402
    InMemoryLogRecordExporter,
    SimpleLogRecordProcessor,
)

from otel_product_events import guard  # noqa: E402
from otel_product_events.privacy import consent  # noqa: E402
from otel_product_events.testing import CapturedEvents, capture_events  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    # Here rather than in pyproject.toml: resolving the category there would import the
    # package before the environment above is set.
    config.addinivalue_line("filterwarnings",
                            "error::otel_product_events.errors.ProductEventsWarning")


@pytest.fixture(autouse=True)
def clean_slate() -> Iterator[None]:
    """Make sure all tests start with tracking on, strict mode on and no counters."""
    consent.set_enabled(True)
    guard.set_strict(True)
    guard.reset_for_tests()
    consent.forget_unsent()  # no test's processes send a spool an earlier test left (#14)
    yield
    consent.set_enabled(True)
    guard.set_strict(True)


@pytest.fixture
def captured() -> Iterator[CapturedEvents]:
    """The product events and spans emitted during the test."""
    with capture_events() as events:
        yield events


@pytest.fixture(scope="session")
def _session_log_exporter() -> InMemoryLogRecordExporter:
    with capture_events():  # makes sure the SDK providers are installed
        pass
    provider = _logs.get_logger_provider()
    assert isinstance(provider, LoggerProvider)
    exporter = InMemoryLogRecordExporter()
    provider.add_log_record_processor(SimpleLogRecordProcessor(exporter))
    return exporter


@pytest.fixture
def log_exporter(_session_log_exporter: InMemoryLogRecordExporter) -> InMemoryLogRecordExporter:
    """An exporter receiving every record emitted during the test, as the SDK hands them over."""
    _session_log_exporter.clear()
    return _session_log_exporter


@dataclass
class SilentCollector:
    """A TCP endpoint that accepts connections, keeps the first bytes of each request, and
    never answers: stands in for a hung collector (and shows whether anything connected)."""

    url: str
    received: list[bytes]


@pytest.fixture
def silent_collector() -> Iterator[SilentCollector]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(128)
    server.settimeout(0.1)
    received: list[bytes] = []
    stop = threading.Event()

    def accept() -> None:
        connections = []
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except OSError:
                continue
            connection.settimeout(1)
            with contextlib.suppress(OSError):
                received.append(connection.recv(65536))
            connections.append(connection)
        for connection in connections:
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield SilentCollector(f"http://127.0.0.1:{server.getsockname()[1]}", received)
    stop.set()
    thread.join()
    server.close()
