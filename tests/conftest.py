"""Shared fixtures: every test starts with a clean slate and captures what would be exported."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

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

from otel_product_events import consent, guard  # noqa: E402
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
