"""The OTLP exporters and the metrics SDK are built when first needed, not by configure():
their imports (requests or grpcio, protobuf, the metrics SDK) were most of start-up.

Each test runs a fresh interpreter: what is imported, and when, is the point.
"""

from __future__ import annotations

import pytest

from tests.conftest import SilentCollector
from tests.helpers import last_json_line, run_python

#: Modules only an exporter or the metrics SDK brings in.
HEAVY = ("requests", "urllib3", "grpc", "google.protobuf",
         "opentelemetry.exporter.otlp.proto.http", "opentelemetry.exporter.otlp.proto.grpc",
         "opentelemetry.sdk.metrics")

PRELUDE = f"""
import atexit, json, sys
HEAVY = {HEAVY!r}
def heavy():
    return sorted({{name.split(".")[0] if not name.startswith("opentelemetry") else
                   ".".join(name.split(".")[:5]) for name in sys.modules
                   if name.startswith(HEAVY)}})
"""


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
def test_a_process_that_sends_nothing_never_builds_an_exporter(protocol: str) -> None:
    """configure() imports no exporter, and neither does the exit flush when nothing is queued."""
    process = run_python(PRELUDE + """
atexit.register(lambda: print(json.dumps({"at_exit": heavy()})))  # runs after our exit flush
import otel_product_events as pe
pe.configure()
print(json.dumps({"configured": heavy()}))
""", {"OTEL_EXPORTER_OTLP_PROTOCOL": protocol, "OTEL_EXPORTER_OTLP_ENDPOINT":
      "http://127.0.0.1:9"})
    assert process.returncode == 0, process.stderr
    assert '{"configured": []}' in process.stdout
    assert last_json_line(process) == {"at_exit": []}


def test_the_first_export_builds_the_exporter_and_delivers(
    silent_collector: SilentCollector
) -> None:
    """An event emitted after configure() reaches the receiver: the export built the exporter.
    (Every interpreter, both protocols, at exit: tests/reliability/test_exit_on_every_python.)"""
    process = run_python(PRELUDE + """
import otel_product_events as pe
pe.configure(endpoint=sys.argv[1], shutdown_timeout=1.0)
pe.emit("tick")
pe.flush(0.5)
print(json.dumps({"after_export": heavy()}))
""", args=[silent_collector.url])
    report = last_json_line(process)
    assert "opentelemetry.exporter.otlp.proto.http" in report["after_export"]
    assert any(b"/v1/logs" in data for data in silent_collector.received)


def test_an_exporter_that_cannot_be_built_is_counted_and_logged_once() -> None:
    """A setting the exporter refuses (gRPC with an unknown compression) fails each batch like
    a failed export, counted; the build is tried once and logged once."""
    process = run_python("""
import json
import otel_product_events as pe
pe.configure()
for i in range(3):
    pe.emit("tick", {"i": i})
    pe.flush(5)
print(json.dumps(pe.stats()))
""", {"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_COMPRESSION": "zip",
      "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9", "OTEL_PRODUCT_EVENTS_SPOOL": "false"})
    stats = last_json_line(process)
    assert stats["exporters_not_built"] == 1
    assert stats["log_records_export_failed"] == 3
    assert process.stderr.count("cannot be built (InvalidCompressionValueException)") == 1


def test_metrics_sdk_is_built_when_the_first_meter_is_asked_for() -> None:
    """The meter provider configure() installs builds the metrics SDK on the first
    get_meter (a usage ping here), and its metrics are exported."""
    report = last_json_line(run_python(PRELUDE + """
import otel_product_events as pe
from opentelemetry import metrics
setup = pe.configure()
before = "opentelemetry.sdk.metrics" in heavy()
provider = metrics.get_meter_provider()
meter = provider.get_meter("app")
counter = meter.create_counter("jobs")
counter.add(2)
print(json.dumps({"installed": setup.installed_meter_provider, "before": before,
                  "after": "opentelemetry.sdk.metrics" in heavy(),
                  "sdk": type(provider.built).__module__}))
"""))
    assert report["installed"] is True
    assert report["before"] is False
    assert report["after"] is True
    assert report["sdk"].startswith("opentelemetry.sdk.metrics")


def test_records_an_exporter_cannot_send_are_spooled(tmp_path: object) -> None:
    """With the spool on, the batches of an exporter that cannot be built are kept on disk for
    a run that can send them, like those of a collector that is away."""
    process = run_python("""
import atexit, json
import otel_product_events as pe
atexit.register(lambda: print(json.dumps(pe.stats())))  # after our exit flush and spool
pe.configure()
for i in range(3):
    pe.emit("tick", {"i": i})
    pe.flush(5)
""", {"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_EXPORTER_OTLP_COMPRESSION": "zip",
      "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9",
      "OTEL_PRODUCT_EVENTS_STATE_DIR": str(tmp_path)})
    stats = last_json_line(process)
    assert stats["exporters_not_built"] == 1
    assert stats["log_records_spooled"] == 3
    assert "log_records_export_failed" not in stats


def test_the_sdks_own_metrics_switched_on_do_not_deadlock_configure(
    silent_collector: SilentCollector
) -> None:
    """OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED: the SDK's processors and exporters take meters
    for themselves, from inside configure() and from inside the meter provider's own build;
    configure() returns, the event goes out, and the process ends."""
    done = run_python("""
import sys
import otel_product_events as pe
pe.configure(endpoint=sys.argv[1], shutdown_timeout=1.0)
print("configured", flush=True)
pe.emit("tick")
pe.flush(0.5)
""", {"OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED": "true", "OTEL_PRODUCT_EVENTS_SPOOL": "false"},
        args=[silent_collector.url], timeout=60)
    assert done.returncode == 0, done.stderr
    assert "configured" in done.stdout
    assert any(b"/v1/logs" in data for data in silent_collector.received)
