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
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from opentelemetry import _logs, metrics, trace
from opentelemetry._logs._internal import ProxyLoggerProvider
from opentelemetry.metrics._internal import _ProxyMeterProvider
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import (
    LogRecordExporter,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter

from otel_product_events import guard, semconv
from otel_product_events.config import SETTINGS
from otel_product_events.ids import PrivateIdGenerator
from otel_product_events.pipeline import exit_report, exporters, spooling_exporter
from otel_product_events.pipeline.flushing import flush, open_exit_window, start_worker, within
from otel_product_events.pipeline.lazy_metrics import LazyMeterProvider
from otel_product_events.pipeline.sizing import LIMITS
from otel_product_events.privacy import consent, installation

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import MetricExporter

    from otel_product_events.catalog.model import Catalog

_log = logging.getLogger("otel_product_events")


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
        self.meter_provider: LazyMeterProvider | None = None
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
    catalog: Catalog | str | os.PathLike[str] | None = None,
    hash_algorithm: str | None = None,
    hash_key: str | bytes | None = None,
    max_event_size: int | None = None,
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

    ``catalog`` (a :class:`Catalog` or a path; default ``OTEL_PRODUCT_EVENTS_CATALOG``) is put
    in force: only the events and attributes it declares are sent. ``hash_algorithm`` and
    ``hash_key`` override ``OTEL_PRODUCT_EVENTS_HASH_ALGORITHM``/``_HASH_KEY``.

    ``max_event_size`` (bytes, default 256 KiB or ``OTEL_PRODUCT_EVENTS_MAX_EVENT_SIZE``): an
    event whose name and encoded attributes take more is dropped when emitted, and counted.
    """
    if protocol is not None and protocol not in exporters.PROTOCOLS:
        raise ValueError(f"configure(protocol={protocol!r}): use one of "
                         f"{', '.join(exporters.PROTOCOLS)}")
    if shutdown_timeout is not None and not shutdown_timeout > 0:
        raise ValueError("configure(shutdown_timeout=...) must be a positive number of seconds")
    if max_event_size is not None and not (type(max_event_size) is int and max_event_size > 0):
        raise ValueError("configure(max_event_size=...) must be a positive number of bytes")
    if max_event_size is not None:
        LIMITS.max_event_bytes = max_event_size
    if installation_id is not None and not (isinstance(installation_id, str) and installation_id):
        raise ValueError("configure(installation_id=...) must be a non-empty string")
    # (Hashing and the catalog are imported only when asked for: start-up stays light.)
    if hash_algorithm is not None or hash_key is not None:
        from otel_product_events.privacy.hashing import configure_hashing

        configure_hashing(hash_algorithm, hash_key)
    if catalog is not None:
        from otel_product_events.catalog.policy import enforce_catalog

        enforce_catalog(catalog)  # a bad path raises CatalogError: the developer's mistake
    with _owned.lock:
        if _owned.setup is not None:
            return _owned.setup
        if not consent.SWITCH.on:
            consent.forget_unsent()  # spool: #14
            _owned.setup = Setup(False, False, False, False, None)
            return _owned.setup
        if installation_id is not None:
            installation.set_installation_id(installation_id)
        if shutdown_timeout is not None:
            _owned.shutdown_timeout_s = float(shutdown_timeout)
        chosen_protocol = protocol or exporters.protocol_from_environment()
        resource = _resource(service_name, service_version, resource_attributes)
        installed_tracer = installed_logger = installed_meter = False
        if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
            tracer_provider = TracerProvider(resource=resource, shutdown_on_exit=False,
                                             id_generator=PrivateIdGenerator())
            exporter = span_exporter or exporters.span_exporter(chosen_protocol, endpoint, headers)
            if exporter is not None:
                tracer_provider.add_span_processor(exporters.span_processor(exporter))
            trace.set_tracer_provider(tracer_provider)
            _owned.tracer_provider = tracer_provider
            installed_tracer = True
        if isinstance(_logs.get_logger_provider(), ProxyLoggerProvider):
            logger_provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
            log_exp = log_exporter or exporters.log_exporter(chosen_protocol, endpoint, headers)
            if log_exp is not None:
                logger_provider.add_log_record_processor(exporters.log_processor(log_exp))
            _logs.set_logger_provider(logger_provider)
            _owned.logger_provider = logger_provider
            installed_logger = True
        if isinstance(metrics.get_meter_provider(), _ProxyMeterProvider):
            meter_provider = LazyMeterProvider(partial(  # built when first asked for a meter
                _meter_provider, resource, metric_exporter, chosen_protocol, endpoint, headers))
            metrics.set_meter_provider(meter_provider)
            _owned.meter_provider = meter_provider
            installed_meter = True
        built = installed_tracer or installed_logger or installed_meter
        if built:
            start_worker()  # now: at exit it may be too late to start a thread (3.12)
        spooling_exporter.start_resend()  # spool: #14, the spool of earlier runs
        if built and not _owned.exit_hook_registered:
            atexit.register(_flush_at_exit)
            _flush_when_multiprocessing_children_exit()
            _owned.exit_hook_registered = True
        _owned.setup = Setup(True, installed_tracer, installed_logger, installed_meter,
                             chosen_protocol if built else None)
        return _owned.setup


def _meter_provider(resource: Resource, metric_exporter: MetricExporter | None, protocol: str,
                    endpoint: str | None, headers: Mapping[str, str] | None) -> MeterProvider:
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    exporter = metric_exporter or exporters.metric_exporter(protocol, endpoint, headers)
    readers = [PeriodicExportingMetricReader(exporter)] if exporter else []
    return MeterProvider(metric_readers=readers, resource=resource, shutdown_on_exit=False)


def _resource(
    service_name: str | None, service_version: str | None,
    extra: Mapping[str, str | bool | int | float] | None,
) -> Resource:
    attributes: dict[str, str | bool | int | float] = dict(extra or {})
    if service_name is not None:
        attributes[semconv.SERVICE_NAME] = service_name
    if service_version is not None:
        attributes[semconv.SERVICE_VERSION] = service_version
    # app.installation.id stays off the resource, though the semantic conventions would put it
    # there: on the resource it would go out on every signal of the application (its own spans,
    # logs and metrics too, opted out or not), and configure() would create the state file before
    # an in-app opt-out (set_enabled(False)) could prevent it. Each product event carries it.
    # Resource.create merges OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME under these.
    return Resource.create(attributes)


def shutdown(timeout: float | None = None) -> bool:
    """Flushes and shuts down the providers :func:`configure` installed, within ``timeout``
    seconds (default: the configured shutdown timeout). Providers installed by someone else are
    only flushed. Returns True when everything finished in time."""
    with _owned.lock:
        owned: list[TracerProvider | LoggerProvider | LazyMeterProvider] = [
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

    deadline = time.monotonic() + limit
    done = within(max(0.0, spooling_exporter.flush_budget(deadline) - time.monotonic()),
                  shut_down_all, "shutdown")
    if not done:
        spooling_exporter.spool_at_exit(deadline)  # spool: #14, what shutdown could not send
    return done


class _ChildHook:
    """Kept alive for multiprocessing's weak after-fork registry."""

    #: Registered there (in this process, or inherited from the parent that forked it).
    registered = False


_child_hook = _ChildHook()


def _flush_when_multiprocessing_children_exit() -> None:
    # A forked multiprocessing worker ends with os._exit(): atexit never runs, and its queued
    # events would be lost. Its own exit path does run multiprocessing finalizers, registered
    # in each new child by multiprocessing's after-fork hook (its finalizer registry is cleared
    # when the child starts, after os.fork's own hooks). That hook is registered in the child,
    # as it forks, only if it is a multiprocessing child: multiprocessing is not imported here.
    os.register_at_fork(after_in_child=_in_forked_child)


def _in_forked_child() -> None:
    util = sys.modules.get("multiprocessing.util")
    if util is not None and not _child_hook.registered:
        util.register_after_fork(_child_hook, _finalize_multiprocessing_child)
        _child_hook.registered = True


def _finalize_multiprocessing_child(_: object) -> None:
    from multiprocessing import util

    util.Finalize(None, _flush_at_exit, exitpriority=100)


def _flush_at_exit() -> None:
    """Exports what is queued, within the shutdown timeout, then keeps the exit window open.

    The providers are flushed, not shut down: exit hooks that run after this one (registered
    before :func:`configure`) and ``finally`` blocks unwinding late may still emit, and
    :mod:`.flushing` delivers those within what is left of the timeout.
    """
    try:
        deadline = open_exit_window(_owned.shutdown_timeout_s)
        spooling_exporter.stop_resend(deadline)  # spool: #14
        flush(max(0.0, spooling_exporter.flush_budget(deadline) - time.monotonic()))
        spooling_exporter.spool_at_exit(deadline)  # spool: #14, what is still undelivered
        # The ledger, not flush()'s answer, says what is left: after an explicit shutdown()
        # the flush "fails" on providers that have nothing left to export.
        message = exit_report.exit_message(_owned.shutdown_timeout_s)
        if message:
            _log.warning(message)
    except Exception as error:
        guard.internal_error("flush_at_exit", error)
