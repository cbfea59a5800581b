"""Runs the decorated incident-response session against a collector, plus telemetry that is
*not* product events, and prints what it emitted as JSON (for the end-to-end tests).

    python -m tests.apps.incident_session ENDPOINT PROTOCOL
"""

from __future__ import annotations

import json
import sys

from opentelemetry import _logs, trace

import otel_product_events as pe
from examples.incident_response.service import IncidentService
from examples.incident_response.session import run_session
from otel_product_events.testing import capture_events


def main() -> None:
    endpoint, protocol = sys.argv[1], sys.argv[2]
    pe.configure(service_name="incident-response", service_version="0.4.0",
                 endpoint=endpoint, protocol=protocol)
    with capture_events() as captured:
        run_session(IncidentService())
        # Telemetry that must never land in product storage:
        _logs.get_logger("app.logs").emit(body="an ordinary log line", event_name=None)
        _logs.get_logger("other.library").emit(event_name="other.event", body="not ours")
        _logs.get_logger("otel_product_events").emit(body="our scope, but no event name")
        with trace.get_tracer("app").start_as_current_span("ordinary-span"):
            pass
    spans = {format(s.context.span_id, "016x"): format(s.context.trace_id, "032x")
             for s in captured.spans}
    print(json.dumps({
        "events": [{"uid": e.attributes["log.record.uid"], "name": e.name,
                    "span_id": format(e.span_id, "016x"), "attributes": dict(e.attributes)}
                   for e in captured],
        "spans": spans,
    }, default=list))
    assert pe.shutdown(10), "export did not finish"


if __name__ == "__main__":
    main()
