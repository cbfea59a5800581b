"""One tracker sending events to the delivery sink: the child process of ``delivered.py``.

    python tests/benchmarks/delivered_trackers.py NAME EVENTS SINK_URL

Imports and sets up the tracker NAME pointed at SINK_URL (its host option or OTLP endpoint),
emits EVENTS events with the same 5 user properties, then flushes and shuts it down; prints one
JSON line: when the first event was emitted (``time.time()``), and how long the emitting and
the flush took. With EVENTS = 0 it does everything but emit: the baseline subtracted from the
same tracker's run.

Queues are sized to hold the whole burst (the peers drop events past 10,000 by default, the
OpenTelemetry SDK past 2,048): this measures what delivering costs, not what a full queue
loses. Otherwise each tracker runs with its defaults.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable

EVENT = "incident.created"
PROPERTIES = {"team.id": "team-7", "incident.id": "inc-42", "user.id": "user-3",
              "checklist.count": 3, "severity": "high"}
#: For ``pe.track``: each attribute from the parameter of the same value.
SOURCES = {"team.id": "team_id", "incident.id": "incident_id", "user.id": "user_id",
           "checklist.count": "checklists", "severity": "severity"}
ARGS = ("team-7", "inc-42", "user-3", 3, "high")
#: Larger than any burst the benchmark sends.
QUEUE = 1_000_000
#: The batch processors' sizes that ``pe.configure`` uses (otel_product_events/pipeline/
#: exporters.py), given to the hand-written pipelines too, so that only our own layer differs.
LOG_QUEUE, LOG_BATCH, SPAN_QUEUE, SPAN_BATCH = 131_072, 2048, 32_768, 2048

Emit = Callable[[], object]
Finish = Callable[[], object]


def create_incident(team_id: str, incident_id: str, user_id: str, checklists: int,
                    severity: str) -> str:
    return incident_id


def segment(url: str) -> tuple[Emit, Finish]:
    import segment.analytics as analytics

    client = analytics.Client(write_key="bench", host=url, max_queue_size=QUEUE)
    return (lambda: client.track(user_id="user-3", event=EVENT, properties=PROPERTIES),
            client.shutdown)


def posthog(url: str) -> tuple[Emit, Finish]:
    import posthog

    client = posthog.Posthog("bench", host=url, max_queue_size=QUEUE)
    return (lambda: client.capture(EVENT, distinct_id="user-3", properties=PROPERTIES),
            client.shutdown)


def snowplow(url: str) -> tuple[Emit, Finish]:
    from snowplow_tracker import AsyncEmitter, SelfDescribingJson, StructuredEvent, Tracker

    # A structured event has category/action/label/property/value; the 5 properties travel as
    # a context entity, as Snowplow carries custom data.
    schema = "iglu:com.example/incident/jsonschema/1-0-0"
    tracker = Tracker("bench", AsyncEmitter(url, method="post", buffer_capacity=QUEUE))

    def emit() -> None:
        tracker.track(StructuredEvent("incident", "created",
                                      context=[SelfDescribingJson(schema, PROPERTIES)]))

    return emit, lambda: tracker.flush(is_async=False)


def _otel_providers(url: str, with_spans: bool) -> tuple[object, object | None, Finish]:
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": "bench"})
    logger_provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(
        OTLPLogExporter(endpoint=url + "/v1/logs"),
        max_queue_size=LOG_QUEUE, max_export_batch_size=LOG_BATCH))
    providers: list[LoggerProvider | TracerProvider] = [logger_provider]
    tracer = None
    if with_spans:
        tracer_provider = TracerProvider(resource=resource, shutdown_on_exit=False)
        tracer_provider.add_span_processor(BatchSpanProcessor(
            OTLPSpanExporter(endpoint=url + "/v1/traces"),
            max_queue_size=SPAN_QUEUE, max_export_batch_size=SPAN_BATCH))
        providers.append(tracer_provider)
        tracer = tracer_provider.get_tracer("bench.handwritten")

    def finish() -> None:
        for provider in providers:
            provider.force_flush()
            provider.shutdown()

    return logger_provider.get_logger("bench.handwritten"), tracer, finish


def otel_emit(url: str) -> tuple[Emit, Finish]:
    logger, _, finish = _otel_providers(url, with_spans=False)
    emit_record = logger.emit  # type: ignore[attr-defined]

    def emit() -> None:
        emit_record(event_name=EVENT, timestamp=time.time_ns(), attributes=dict(PROPERTIES))

    return emit, finish


def otel_span_event(url: str) -> tuple[Emit, Finish]:
    logger, tracer, finish = _otel_providers(url, with_spans=True)
    emit_record = logger.emit  # type: ignore[attr-defined]
    start_span = tracer.start_as_current_span  # type: ignore[attr-defined]

    def handwritten(team_id: str, incident_id: str, user_id: str, checklists: int,
                    severity: str) -> str:
        with start_span("create_incident"):
            result = create_incident(team_id, incident_id, user_id, checklists, severity)
            emit_record(event_name=EVENT, timestamp=time.time_ns(), attributes={
                "team.id": team_id, "incident.id": incident_id, "user.id": user_id,
                "checklist.count": checklists, "severity": severity})
            return result

    return lambda: handwritten(*ARGS), finish


def _ours(url: str) -> Finish:
    import otel_product_events as pe

    pe.configure(service_name="bench", endpoint=url)
    # configure() builds the OTLP exporters at the first export (start-up stays light), while
    # the hand-written setups build theirs up front. Building ours here as well puts that
    # one-off cost (~90 ms of imports, requests among them: the exporters import their
    # transport when built) in the baseline too: only the per-event cost is compared.
    import opentelemetry.exporter.otlp.proto.http._log_exporter
    import opentelemetry.exporter.otlp.proto.http.trace_exporter  # noqa: F401
    import requests  # noqa: F401

    from otel_product_events.pipeline import otlp_encoding

    otlp_encoding.install()

    def finish() -> None:
        if not pe.shutdown(timeout=300):
            print("pe.shutdown did not finish in time", file=sys.stderr)

    return finish


def pe_emit(url: str) -> tuple[Emit, Finish]:
    import otel_product_events as pe

    finish = _ours(url)
    return lambda: pe.emit(EVENT, PROPERTIES), finish


def pe_track(url: str, span: bool = True) -> tuple[Emit, Finish]:
    import otel_product_events as pe

    finish = _ours(url)
    tracked = pe.track(EVENT, attributes=SOURCES, span=span)(create_incident)
    return lambda: tracked(*ARGS), finish


TRACKERS: dict[str, Callable[[str], tuple[Emit, Finish]]] = {
    "segment": segment,
    "posthog": posthog,
    "snowplow": snowplow,
    "otel-emit": otel_emit,
    "otel-span-event": otel_span_event,
    "pe-emit": pe_emit,
    "pe-track-nospan": lambda url: pe_track(url, span=False),
    "pe-track": pe_track,
}


def main(name: str, events: int, url: str) -> None:
    emit, finish = TRACKERS[name](url)
    first_emit = time.time()
    start = time.perf_counter()
    for _ in range(events):
        emit()
    emitted = time.perf_counter()
    finish()
    flushed = time.perf_counter()
    print(json.dumps({"first_emit": first_emit, "emit_s": emitted - start,
                      "flush_s": flushed - emitted}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
