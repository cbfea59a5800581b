"""configure(), flush() and shutdown(): SDK wiring that respects what the application set up.

Global providers can be installed once per process, so each test runs a fresh interpreter.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.conftest import SilentCollector
from tests.helpers import last_json_line, run_python

PRELUDE = """
import json, os, sys, time
import otel_product_events as pe
from opentelemetry import trace, _logs
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
"""


def test_configure_installs_providers_with_the_service_resource() -> None:
    """Keywords set service name and version; OTEL_RESOURCE_ATTRIBUTES adds to them."""
    report = last_json_line(run_python(PRELUDE + """
logs, spans = InMemoryLogRecordExporter(), InMemorySpanExporter()
setup = pe.configure(service_name="shop", service_version="1.2.3",
                     log_exporter=logs, span_exporter=spans)
again = pe.configure(service_name="ignored")

@pe.track("order.placed")
def place():
    pass

place()
assert pe.flush(5)
(record,) = logs.get_finished_logs()
(span,) = spans.get_finished_spans()
print(json.dumps({
    "setup": [setup.enabled, setup.installed_tracer_provider, setup.installed_logger_provider],
    "same": again is setup,
    "resource": {k: v for k, v in record.resource.attributes.items()
                 if k.startswith(("service.", "deployment.")) and k != "service.instance.id"},
    "correlated": record.log_record.span_id == span.context.span_id,
    "event_name": record.log_record.event_name,
}))
""", {"OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=staging,service.version=0.0.1",
      "OTEL_SERVICE_NAME": "from-env"}))
    assert report["setup"] == [True, True, True]
    assert report["same"] is True
    assert report["resource"] == {"service.name": "shop", "service.version": "1.2.3",
                                  "deployment.environment.name": "staging"}
    assert report["correlated"] is True
    assert report["event_name"] == "order.placed"


def test_configure_leaves_the_applications_providers_alone() -> None:
    """Providers the app (or opentelemetry-instrument) installed are used, not replaced."""
    report = last_json_line(run_python(PRELUDE + """
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.resources import Resource

app_logs = InMemoryLogRecordExporter()
logger_provider = LoggerProvider(resource=Resource.create({"service.name": "app-owned"}))
logger_provider.add_log_record_processor(SimpleLogRecordProcessor(app_logs))
_logs.set_logger_provider(logger_provider)
tracer_provider = TracerProvider()
trace.set_tracer_provider(tracer_provider)

setup = pe.configure(service_name="ours")
pe.emit("feature.used")
print(json.dumps({
    "installed": [setup.installed_tracer_provider, setup.installed_logger_provider],
    "kept": [trace.get_tracer_provider() is tracer_provider,
             _logs.get_logger_provider() is logger_provider],
    "services": [r.resource.attributes["service.name"] for r in app_logs.get_finished_logs()],
}))
"""))
    assert report == {"installed": [False, False], "kept": [True, True],
                      "services": ["app-owned"]}


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, ["http/protobuf", "opentelemetry.exporter.otlp.proto.http",
              "http://127.0.0.1:9/v1/logs"]),
        ({"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
         ["grpc", "opentelemetry.exporter.otlp.proto.grpc", "127.0.0.1:9"]),
    ],
    ids=["default-http", "grpc"],
)
def test_protocol_and_endpoint_follow_the_standard_variables(
    env: dict[str, str], expected: list[str]
) -> None:
    """OTEL_EXPORTER_OTLP_PROTOCOL picks the exporter; the endpoint gets the signal path."""
    report = last_json_line(run_python(PRELUDE + """
setup = pe.configure()
provider = _logs.get_logger_provider()
processor = provider._multi_log_record_processor._log_record_processors[0]
lazy = processor._batch_processor._exporter.exporter  # inside our counting wrapper
exporter = lazy.built()  # what its first export builds
module = type(exporter).__module__
package = ".".join(module.split(".")[:5])
print(json.dumps([setup.protocol, package, exporter._endpoint]))
""", {**env, "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"}))
    assert report == expected


def test_exporters_can_be_switched_off_by_variable() -> None:
    """OTEL_TRACES_EXPORTER=none keeps the provider but exports no spans."""
    report = last_json_line(run_python(PRELUDE + """
pe.configure()
processors = trace.get_tracer_provider()._active_span_processor._span_processors
print(json.dumps({"span_processors": len(processors)}))
""", {"OTEL_TRACES_EXPORTER": "none"}))
    assert report == {"span_processors": 0}


def test_mistakes_in_configure_keywords_are_loud() -> None:
    """A wrong protocol or timeout raises ValueError naming the fix."""
    report = last_json_line(run_python(PRELUDE + """
errors = []
for kwargs in ({"protocol": "http/json"}, {"shutdown_timeout": 0}, {"installation_id": ""}):
    try:
        pe.configure(**kwargs)
    except ValueError as error:
        errors.append(str(error))
print(json.dumps(errors))
"""))
    assert len(report) == 3
    assert "use one of http/protobuf, grpc" in report[0]


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
def test_exit_is_bounded_when_the_collector_hangs(silent_collector: SilentCollector,
                                                  protocol: str) -> None:
    """With a collector that never answers, the process still exits within the timeout."""
    started = time.monotonic()
    process = run_python(PRELUDE + """
pe.configure(endpoint=sys.argv[1], protocol=sys.argv[2], shutdown_timeout=1.0)
for i in range(100):
    pe.emit("tick", {"i": i})
print(json.dumps({"flushed": pe.flush(0.5)}))
""", {"OTEL_PRODUCT_EVENTS_SPOOL": "false"}, args=[silent_collector.url, protocol])
    elapsed = time.monotonic() - started
    assert last_json_line(process) == {"flushed": False}
    assert elapsed < 8, elapsed  # interpreter start-up + 0.5 s flush + 1 s exit bound
    assert ("100 log records not exported within 1.0 s at exit (collector slow or unreachable?)"
            "; dropped so the process can end" in process.stderr)


def test_headers_variable_reaches_the_wire(silent_collector: SilentCollector) -> None:
    """OTEL_EXPORTER_OTLP_HEADERS (an auth token, say) is sent with every export request."""
    endpoint, received = silent_collector.url, silent_collector.received
    run_python(PRELUDE + """
pe.configure(endpoint=sys.argv[1], shutdown_timeout=0.5)
pe.emit("tick")
pe.flush(0.5)
""", {"OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer%20s3cret"}, args=[endpoint])
    assert any(b"authorization: bearer s3cret" in data.lower() for data in received)


def test_flush_exports_everything_queued() -> None:
    """flush() returns True once every queued event has reached the exporter."""
    report = last_json_line(run_python(PRELUDE + """
logs = InMemoryLogRecordExporter()
pe.configure(log_exporter=logs, span_exporter=InMemorySpanExporter())
for i in range(1000):
    pe.emit("tick", {"i": i})
ok = pe.flush(10)
print(json.dumps({"ok": ok, "exported": len(logs.get_finished_logs())}))
"""))
    assert report == {"ok": True, "exported": 1000}


INSTALLATION_WHERE = PRELUDE + """
from otel_product_events.privacy.installation import installation_id
logs = InMemoryLogRecordExporter()
if sys.argv[1] == "app":
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
    from opentelemetry.sdk.resources import Resource
    provider = LoggerProvider(resource=Resource({"app.installation.id": sys.argv[2]}))
    provider.add_log_record_processor(SimpleLogRecordProcessor(logs))
    _logs.set_logger_provider(provider)
pe.configure(log_exporter=logs)
pe.emit("feature.used")
pe.flush(5)
(record,) = logs.get_finished_logs()
print(json.dumps({"ours": installation_id(),
                  "resource": record.resource.attributes.get("app.installation.id"),
                  "record": record.log_record.attributes.get("app.installation.id")}))
"""


def test_each_event_carries_the_installation_and_the_resource_does_not() -> None:
    """On the resource it would ride on every signal of the application, opted out or not."""
    report = last_json_line(run_python(INSTALLATION_WHERE, args=["ours"]))
    assert report["record"] == report["ours"]
    assert report["resource"] is None


def test_configure_then_an_in_app_opt_out_writes_no_state_file(tmp_path: Path) -> None:
    """set_enabled(False) right after configure() (a user's setting read at start-up)."""
    state = tmp_path / "state"
    done = run_python("""
import otel_product_events as pe
pe.configure(service_name="shop")
pe.set_enabled(False)
pe.emit("feature.used")
pe.shutdown()
""", {"OTEL_PRODUCT_EVENTS_STATE_DIR": str(state), "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"})
    assert done.returncode == 0, done.stderr
    assert not state.exists()


@pytest.mark.parametrize("theirs", ["", "someone-else"])
def test_under_a_resource_without_our_installation_each_event_carries_it(theirs: str) -> None:
    """Providers built by the app or opentelemetry-instrument: the record says it."""
    report = last_json_line(run_python(INSTALLATION_WHERE, args=["app", theirs]))
    assert report["record"] == report["ours"]
    assert report["resource"] == theirs
