"""Builds the OTLP (or console) exporters :func:`configure` uses, from the standard ``OTEL_*``
variables and its keyword overrides, and sizes the batch processors for product events.

The OTLP span and log exporters are built on their first export (:mod:`.lazy_exporter`): their
imports are the bulk of start-up otherwise. The metric exporter is built with the meter
provider, when the first meter is asked for (:mod:`.lazy_metrics`).
"""

from __future__ import annotations

import importlib
import os
import random
import sys
from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, Final

from opentelemetry.sdk._logs.export import ConsoleLogRecordExporter, LogRecordExporter
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SpanExporter

from otel_product_events import guard
from otel_product_events.ids import PRIVATE_RANDOM
from otel_product_events.pipeline import spooling_exporter
from otel_product_events.pipeline.accounting import (
    CountingBatchLogRecordProcessor,
    CountingBatchSpanProcessor,
    CountingLogExporter,
    CountingSpanExporter,
)
from otel_product_events.pipeline.batching import spot_refusals
from otel_product_events.pipeline.endpoints import warn_of_endpoint_mistakes
from otel_product_events.pipeline.lazy_exporter import LazyLogExporter, LazySpanExporter

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics.export import MetricExporter

PROTOCOLS: Final = ("http/protobuf", "grpc")
#: The OTel specification's default; ``opentelemetry-instrument`` setups bring their own.
DEFAULT_PROTOCOL: Final = "http/protobuf"

# Product events must survive a burst (a batch job, a migration replaying history) while the
# exporter catches up, so the log queue is far deeper than the SDK's 2048. A queued event costs
# about 1.3 KB (measured with 7 attributes), so the log queue is bounded near 170 MiB; the span
# queue (spans are secondary to events) near 60 MiB. OTEL_BLRP_* / OTEL_BSP_* still win.
LOG_QUEUE_SIZE: Final = 131_072
LOG_BATCH_SIZE: Final = 2048
SPAN_QUEUE_SIZE: Final = 32_768
SPAN_BATCH_SIZE: Final = 2048


def protocol_from_environment() -> str:
    raw = (os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL") or DEFAULT_PROTOCOL).strip().lower()
    if raw in PROTOCOLS:
        return raw
    guard.warn("protocol", "otel_product_events: OTEL_EXPORTER_OTLP_PROTOCOL=%r is not supported "
               "(use grpc or http/protobuf); using %s.", raw, DEFAULT_PROTOCOL)
    return DEFAULT_PROTOCOL


def _exporter_names(variable: str) -> list[str]:
    names = [n.strip().lower() for n in os.environ.get(variable, "otlp").split(",") if n.strip()]
    unknown = [n for n in names if n not in ("otlp", "console", "none")]
    if unknown:
        guard.warn(variable, "otel_product_events: %s=%r names unknown exporters %s; only otlp, "
                   "console and none are built in. Ignoring them.", variable,
                   os.environ.get(variable), unknown)
    return [n for n in names if n in ("otlp", "console")]


def _otlp_kwargs(endpoint: str | None, protocol: str, path: str,
                 headers: Mapping[str, str] | None) -> dict[str, Any]:
    if endpoint is not None and protocol != "grpc":
        endpoint = endpoint.rstrip("/") + path  # HTTP takes the full URL; gRPC the base
    return {"endpoint": endpoint, "headers": dict(headers) if headers else None}


# Per signal: the exporter-choice variable, the HTTP path, and the OTLP exporter classes (imported
# only when chosen: the gRPC one pulls in grpcio).
_SIGNALS: Final = {
    "traces": ("OTEL_TRACES_EXPORTER", "/v1/traces",
               "opentelemetry.exporter.otlp.proto.grpc.trace_exporter:OTLPSpanExporter",
               "opentelemetry.exporter.otlp.proto.http.trace_exporter:OTLPSpanExporter"),
    "logs": ("OTEL_LOGS_EXPORTER", "/v1/logs",
             "opentelemetry.exporter.otlp.proto.grpc._log_exporter:OTLPLogExporter",
             "opentelemetry.exporter.otlp.proto.http._log_exporter:OTLPLogExporter"),
    "metrics": ("OTEL_METRICS_EXPORTER", "/v1/metrics",
                "opentelemetry.exporter.otlp.proto.grpc.metric_exporter:OTLPMetricExporter",
                "opentelemetry.exporter.otlp.proto.http.metric_exporter:OTLPMetricExporter"),
}


# The OTLP exporters draw their retry jitter from the global random module (the HTTP one on every
# export, even without a retry): that would move the application's seeded sequence. They get our
# private generator instead; the module attribute is the only seam they offer.
_JITTER_MODULES: Final = ("opentelemetry.exporter.otlp.common.http",
                          "opentelemetry.exporter.otlp.proto.grpc.exporter")


def _private_jitter() -> None:
    for name in _JITTER_MODULES:
        module = sys.modules.get(name)
        if module is not None and getattr(module, "random", None) is random:
            module.random = PRIVATE_RANDOM  # type: ignore[attr-defined]


def _otlp_class(signal: str, protocol: str) -> str | None:
    """``module:Class`` of the OTLP exporter for ``signal``, or None when its variable does
    not ask for OTLP."""
    variable, _, grpc_class, http_class = _SIGNALS[signal]
    if "otlp" not in _exporter_names(variable):
        return None
    return grpc_class if protocol == "grpc" else http_class


def _build_otlp(signal: str, class_path: str, protocol: str, endpoint: str | None,
                headers: Mapping[str, str] | None) -> Any:
    module, _, name = class_path.partition(":")
    exporter_class = getattr(importlib.import_module(module), name)
    _private_jitter()
    # Imported here: it needs the protobuf modules that only the OTLP exporters bring.
    from otel_product_events.pipeline import otlp_encoding

    otlp_encoding.install()
    return exporter_class(**_otlp_kwargs(endpoint, protocol, _SIGNALS[signal][1], headers))


def _console_wanted(signal: str) -> bool:
    return "console" in _exporter_names(_SIGNALS[signal][0])


def span_exporter(protocol: str, endpoint: str | None,
                  headers: Mapping[str, str] | None) -> SpanExporter | None:
    """The OTLP span exporter, built on its first export; or the console one, or None."""
    class_path = _otlp_class("traces", protocol)
    if class_path is not None:
        spot_refusals()
        warn_of_endpoint_mistakes(protocol, endpoint)
        return LazySpanExporter("spans", class_path, partial(
            _build_otlp, "traces", class_path, protocol, endpoint, headers))
    return ConsoleSpanExporter() if _console_wanted("traces") else None


def log_exporter(protocol: str, endpoint: str | None,
                 headers: Mapping[str, str] | None) -> LogRecordExporter | None:
    """The OTLP log record exporter, built on its first export; or the console one, or None."""
    class_path = _otlp_class("logs", protocol)
    if class_path is not None:
        spot_refusals()
        warn_of_endpoint_mistakes(protocol, endpoint)
        return LazyLogExporter("log_records", class_path, partial(
            _build_otlp, "logs", class_path, protocol, endpoint, headers))
    return ConsoleLogRecordExporter() if _console_wanted("logs") else None


def metric_exporter(protocol: str, endpoint: str | None,
                    headers: Mapping[str, str] | None) -> MetricExporter | None:
    """The metric exporter, built now (the meter provider is built when first needed)."""
    class_path = _otlp_class("metrics", protocol)
    if class_path is not None:
        exporter: MetricExporter = _build_otlp("metrics", class_path, protocol, endpoint,
                                               headers)
        return exporter
    if _console_wanted("metrics"):
        from opentelemetry.sdk.metrics.export import ConsoleMetricExporter

        return ConsoleMetricExporter()
    return None


def _env_int(name: str, default: int) -> int | None:
    # None lets the SDK read its own variable (and validate it); otherwise our default.
    return None if os.environ.get(name, "").strip() else default


def log_processor(exporter: LogRecordExporter) -> CountingBatchLogRecordProcessor:
    """A counting batch processor sized for product events (unless OTEL_BLRP_* say otherwise)."""
    processor = CountingBatchLogRecordProcessor(
        spooling_exporter.wrap_logs(CountingLogExporter(exporter), exporter),  # spool: #14
        max_queue_size=_env_int("OTEL_BLRP_MAX_QUEUE_SIZE", LOG_QUEUE_SIZE),
        max_export_batch_size=_env_int("OTEL_BLRP_MAX_EXPORT_BATCH_SIZE", LOG_BATCH_SIZE),
    )
    spooling_exporter.attach(processor)  # spool: #14
    return processor


def span_processor(exporter: SpanExporter) -> CountingBatchSpanProcessor:
    """A counting batch processor for spans (unless OTEL_BSP_* say otherwise)."""
    processor = CountingBatchSpanProcessor(
        spooling_exporter.wrap_spans(CountingSpanExporter(exporter), exporter),  # spool: #14
        max_queue_size=_env_int("OTEL_BSP_MAX_QUEUE_SIZE", SPAN_QUEUE_SIZE),
        max_export_batch_size=_env_int("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", SPAN_BATCH_SIZE),
    )
    spooling_exporter.attach(processor)  # spool: #14
    return processor
