"""SDK wiring for applications: :func:`configure`, :func:`flush` and :func:`shutdown`.

Libraries never need this: without an SDK the OpenTelemetry API is a no-op. An application
calls :func:`configure` once; it builds tracer and logger providers exporting over OTLP, driven
by the standard ``OTEL_*`` variables, unless the application or ``opentelemetry-instrument``
already installed providers, which are then used as they are.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from opentelemetry import _logs, metrics, trace
from opentelemetry._logs._internal import ProxyLoggerProvider
from opentelemetry.metrics._internal import _ProxyMeterProvider
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import (
    BatchLogRecordProcessor,
    ConsoleLogRecordExporter,
    LogRecordExporter,
)
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricExporter,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

from . import consent, guard, installation, semconv
from .config import SETTINGS

_log = logging.getLogger("otel_product_events")

PROTOCOLS: Final = ("http/protobuf", "grpc")
#: The OTel specification's default; ``opentelemetry-instrument`` setups bring their own.
DEFAULT_PROTOCOL: Final = "http/protobuf"


@dataclass(frozen=True, slots=True)
class Setup:
    """What :func:`configure` did."""

    #: False when an opt-out is in effect: nothing was built, nothing will be sent.
    enabled: bool
    #: True when this call installed the global tracer provider; False when one was there.
    installed_tracer_provider: bool
    installed_logger_provider: bool
    installed_meter_provider: bool
    #: The OTLP protocol of the exporters we built, or None when we built none.
    protocol: str | None


class _Owned:
    """Providers this library installed, and so must flush and shut down."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.setup: Setup | None = None
        self.tracer_provider: TracerProvider | None = None
        self.logger_provider: LoggerProvider | None = None
        self.meter_provider: MeterProvider | None = None
        self.shutdown_timeout_s = SETTINGS.shutdown_timeout_s
        self.exit_hook_registered = False


_owned = _Owned()


def configure(
    *,
    service_name: str | None = None,
    service_version: str | None = None,
    resource_attributes: Mapping[str, str | bool | int | float] | None = None,
    endpoint: str | None = None,
    protocol: str | None = None,
    headers: Mapping[str, str] | None = None,
    installation_id: str | None = None,
    shutdown_timeout: float | None = None,
    span_exporter: SpanExporter | None = None,
    log_exporter: LogRecordExporter | None = None,
    metric_exporter: MetricExporter | None = None,
) -> Setup:
    """Sets up export of product events, spans and usage pings for this application.
    Idempotent.

    Keywords override the standard variables (``OTEL_SERVICE_NAME``,
    ``OTEL_RESOURCE_ATTRIBUTES``, ``OTEL_EXPORTER_OTLP_ENDPOINT``,
    ``OTEL_EXPORTER_OTLP_PROTOCOL`` = ``http/protobuf`` (default) or ``grpc``,
    ``OTEL_EXPORTER_OTLP_HEADERS``, ``OTEL_EXPORTER_OTLP_TIMEOUT``, ``OTEL_TRACES_EXPORTER`` /
    ``OTEL_LOGS_EXPORTER`` / ``OTEL_METRICS_EXPORTER`` = ``otlp``, ``console`` or ``none``,
    ``OTEL_BSP_*``/``OTEL_BLRP_*``/``OTEL_METRIC_EXPORT_INTERVAL``).
    ``span_exporter``/``log_exporter``/``metric_exporter`` (usage pings) replace the OTLP
    exporters (tests, custom sinks).
    At exit, queued events are flushed for at most ``shutdown_timeout`` seconds (default 2,
    or ``OTEL_PRODUCT_EVENTS_SHUTDOWN_TIMEOUT``).
    """
    if protocol is not None and protocol not in PROTOCOLS:
        raise ValueError(f"configure(protocol={protocol!r}): use one of {', '.join(PROTOCOLS)}")
    if shutdown_timeout is not None and not shutdown_timeout > 0:
        raise ValueError("configure(shutdown_timeout=...) must be a positive number of seconds")
    if installation_id is not None and not (isinstance(installation_id, str) and installation_id):
        raise ValueError("configure(installation_id=...) must be a non-empty string")
    with _owned.lock:
        if _owned.setup is not None:
            return _owned.setup
        if not consent.SWITCH.on:
            _owned.setup = Setup(False, False, False, False, None)
            return _owned.setup
        if installation_id is not None:
            installation.set_installation_id(installation_id)
        if shutdown_timeout is not None:
            _owned.shutdown_timeout_s = float(shutdown_timeout)
        chosen_protocol = protocol or _protocol_from_environment()
        resource = _resource(service_name, service_version, resource_attributes)
        installed_tracer = installed_logger = installed_meter = False
        if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
            tracer_provider = TracerProvider(resource=resource, shutdown_on_exit=False)
            exporter = span_exporter or _span_exporter(chosen_protocol, endpoint, headers)
            if exporter is not None:
                tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
            trace.set_tracer_provider(tracer_provider)
            _owned.tracer_provider = tracer_provider
            installed_tracer = True
        if isinstance(_logs.get_logger_provider(), ProxyLoggerProvider):
            logger_provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
            log_exp = log_exporter or _log_exporter(chosen_protocol, endpoint, headers)
            if log_exp is not None:
                logger_provider.add_log_record_processor(BatchLogRecordProcessor(log_exp))
            _logs.set_logger_provider(logger_provider)
            _owned.logger_provider = logger_provider
            installed_logger = True
        if isinstance(metrics.get_meter_provider(), _ProxyMeterProvider):
            metric_exp = metric_exporter or _metric_exporter(chosen_protocol, endpoint, headers)
            readers = [PeriodicExportingMetricReader(metric_exp)] if metric_exp else []
            meter_provider = MeterProvider(metric_readers=readers, resource=resource,
                                           shutdown_on_exit=False)
            metrics.set_meter_provider(meter_provider)
            _owned.meter_provider = meter_provider
            installed_meter = True
        built = installed_tracer or installed_logger or installed_meter
        if built and not _owned.exit_hook_registered:
            # Registered after the providers exist, so it runs before hooks registered earlier
            # would find them shut down (atexit runs last-in, first-out).
            atexit.register(_shutdown_at_exit)
            _owned.exit_hook_registered = True
        _owned.setup = Setup(True, installed_tracer, installed_logger, installed_meter,
                             chosen_protocol if built else None)
        return _owned.setup


def _protocol_from_environment() -> str:
    raw = (os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL") or DEFAULT_PROTOCOL).strip().lower()
    if raw in PROTOCOLS:
        return raw
    guard.warn("protocol", "otel_product_events: OTEL_EXPORTER_OTLP_PROTOCOL=%r is not supported "
               "(use grpc or http/protobuf); using %s.", raw, DEFAULT_PROTOCOL)
    return DEFAULT_PROTOCOL


def _resource(
    service_name: str | None, service_version: str | None,
    extra: Mapping[str, str | bool | int | float] | None,
) -> Resource:
    attributes: dict[str, str | bool | int | float] = dict(extra or {})
    if service_name is not None:
        attributes[semconv.SERVICE_NAME] = service_name
    if service_version is not None:
        attributes[semconv.SERVICE_VERSION] = service_version
    # Resource.create merges OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME under these.
    return Resource.create(attributes)


def _exporter_names(variable: str) -> list[str]:
    names = [n.strip().lower() for n in os.environ.get(variable, "otlp").split(",") if n.strip()]
    unknown = [n for n in names if n not in ("otlp", "console", "none")]
    if unknown:
        guard.warn(variable, "otel_product_events: %s=%r names unknown exporters %s; only otlp, "
                   "console and none are built in. Ignoring them.", variable,
                   os.environ.get(variable), unknown)
    return [n for n in names if n in ("otlp", "console")]


def _signal_endpoint(endpoint: str | None, protocol: str, path: str) -> str | None:
    if endpoint is None or protocol == "grpc":
        return endpoint
    return endpoint.rstrip("/") + path


def _span_exporter(protocol: str, endpoint: str | None,
                   headers: Mapping[str, str] | None) -> SpanExporter | None:
    names = _exporter_names("OTEL_TRACES_EXPORTER")
    if "otlp" in names:
        kwargs: dict[str, Any] = {"headers": dict(headers) if headers else None,
                                  "endpoint": _signal_endpoint(endpoint, protocol, "/v1/traces")}
        if protocol == "grpc":
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
            return OTLPSpanExporter(**kwargs)
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter as HTTPSpanExporter,
        )
        return HTTPSpanExporter(**kwargs)
    return ConsoleSpanExporter() if "console" in names else None


def _log_exporter(protocol: str, endpoint: str | None,
                  headers: Mapping[str, str] | None) -> LogRecordExporter | None:
    names = _exporter_names("OTEL_LOGS_EXPORTER")
    if "otlp" in names:
        kwargs: dict[str, Any] = {"headers": dict(headers) if headers else None,
                                  "endpoint": _signal_endpoint(endpoint, protocol, "/v1/logs")}
        if protocol == "grpc":
            from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
            return OTLPLogExporter(**kwargs)
        from opentelemetry.exporter.otlp.proto.http._log_exporter import (
            OTLPLogExporter as HTTPLogExporter,
        )
        return HTTPLogExporter(**kwargs)
    return ConsoleLogRecordExporter() if "console" in names else None


def _metric_exporter(protocol: str, endpoint: str | None,
                     headers: Mapping[str, str] | None) -> MetricExporter | None:
    names = _exporter_names("OTEL_METRICS_EXPORTER")
    if "otlp" in names:
        kwargs: dict[str, Any] = {"headers": dict(headers) if headers else None,
                                  "endpoint": _signal_endpoint(endpoint, protocol, "/v1/metrics")}
        if protocol == "grpc":
            from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
            return OTLPMetricExporter(**kwargs)
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
            OTLPMetricExporter as HTTPMetricExporter,
        )
        return HTTPMetricExporter(**kwargs)
    return ConsoleMetricExporter() if "console" in names else None


def _within(timeout_s: float, work: Callable[[], object], name: str) -> bool:
    """Runs ``work`` in a daemon thread and waits at most ``timeout_s``.

    The SDK's force_flush ignores its timeout and an exporter may sit in retry backoff, so the
    bound is enforced here: the caller (often the interpreter's exit) never waits longer.
    """
    outcome: list[bool] = []

    def run() -> None:
        try:
            outcome.append(work() is not False)
        except Exception as error:
            outcome.append(False)
            guard.internal_error(name, error)

    worker = threading.Thread(target=run, name=f"otel_product_events.{name}", daemon=True)
    worker.start()
    worker.join(timeout_s)
    return bool(outcome) and outcome[0]


def flush(timeout: float = 5.0) -> bool:
    """Exports everything queued so far, waiting at most ``timeout`` seconds.

    For short-lived and serverless processes. Flushes whichever providers are installed,
    ours or the application's. Returns True when everything was exported in time.
    """
    installed = (trace.get_tracer_provider(), _logs.get_logger_provider(),
                 metrics.get_meter_provider())
    flushes: list[Callable[[], object]] = [
        flush_one for provider in installed
        if callable(flush_one := getattr(provider, "force_flush", None))
    ]
    if not flushes:
        return True

    def flush_all() -> bool:
        flushed = True
        for flush_one in flushes:  # every provider, even after one failed
            flushed = flush_one() is not False and flushed
        return flushed

    return _within(timeout, flush_all, "flush")


def shutdown(timeout: float | None = None) -> bool:
    """Flushes and shuts down the providers :func:`configure` installed, within ``timeout``
    seconds (default: the configured shutdown timeout). Providers installed by someone else are
    only flushed. Returns True when everything finished in time."""
    with _owned.lock:
        owned: list[TracerProvider | LoggerProvider | MeterProvider] = [
            p for p in (_owned.logger_provider, _owned.tracer_provider, _owned.meter_provider)
            if p is not None
        ]
        _owned.logger_provider = _owned.tracer_provider = _owned.meter_provider = None
        limit = _owned.shutdown_timeout_s if timeout is None else timeout
    if not owned:
        return flush(limit)

    def shut_down_all() -> bool:
        for provider in owned:
            provider.shutdown()
        return True

    return _within(limit, shut_down_all, "shutdown")


def _shutdown_at_exit() -> None:
    try:
        if not shutdown():
            _log.warning(
                "otel_product_events: not every event was exported within %.1f s at exit; "
                "the rest is dropped so the process can end (see shutdown_timeout).",
                _owned.shutdown_timeout_s,
            )
    except Exception as error:
        guard.internal_error("shutdown_at_exit", error)
