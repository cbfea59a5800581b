"""Endpoint mistakes no retry can fix are named once at configure: the other protocol's port,
a signal path on the base endpoint, an HTTP endpoint without a scheme. Right endpoints give no
warning, and the endpoint itself (it may hold credentials) is never quoted."""

from __future__ import annotations

from pathlib import Path

import pytest

from otel_product_events.pipeline.endpoints import endpoint_problems
from tests.helpers import run_python


@pytest.mark.parametrize(("protocol", "endpoint", "base", "expected"), [
    ("http/protobuf", "http://127.0.0.1:4317", True, "OTEL_EXPORTER_OTLP_PROTOCOL=grpc"),
    ("grpc", "http://collector:4318", True, "OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf"),
    ("http/protobuf", "http://127.0.0.1:4318/v1/logs", True, "ends with a signal path"),
    ("http/protobuf", "127.0.0.1:4318", True, "needs a scheme and a host"),
])
def test_a_mistake_is_named_with_the_fix(protocol: str, endpoint: str, base: bool,
                                         expected: str) -> None:
    (problem,) = endpoint_problems(protocol, "OTEL_EXPORTER_OTLP_ENDPOINT", endpoint, base=base)
    assert expected in problem


@pytest.mark.parametrize(("protocol", "endpoint", "base"), [
    ("http/protobuf", "http://127.0.0.1:4318", True),
    ("http/protobuf", "https://collector.example:443/otlp", True),
    ("http/protobuf", "http://127.0.0.1:4318/v1/logs", False),  # a signal's own full URL
    ("grpc", "http://127.0.0.1:4317", True),
    ("grpc", "collector:4317", True),  # the gRPC exporter takes host:port
    ("http/protobuf", "http://[::1]:99999", True),  # an unparsable port is the SDK's to report
])
def test_right_endpoints_pass_quietly(protocol: str, endpoint: str, base: bool) -> None:
    assert list(endpoint_problems(protocol, "X", endpoint, base=base)) == []


def test_configure_warns_once_and_never_quotes_the_endpoint(tmp_path: Path) -> None:
    """The README's old pitfall: the HTTP default pointed at the collector's gRPC port."""
    done = run_python("""
import otel_product_events as pe
pe.configure(service_name="shop")
pe.shutdown()
""", {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://user:secret@127.0.0.1:4317",
      "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_PRODUCT_EVENTS_SPOOL": "false",
      "OTEL_PRODUCT_EVENTS_STATE_DIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("the OTLP port for grpc") == 1
    assert "secret" not in done.stderr
