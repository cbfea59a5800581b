"""The meter provider :func:`configure` installs: the SDK's, built when the first meter is asked
for.

Metrics are the rare signal here (usage pings, or the application's own metrics), while the
metrics SDK, its periodic reader (a thread) and the OTLP metric exporter cost about as much to
import and start as the tracing and logging SDKs together. Installed as the global provider,
this one answers ``get_meter`` with the SDK's meter, building the SDK's ``MeterProvider`` on
that first call; meters taken from the API before :func:`configure` switch to it then, as the
API's proxies do. Until then there is nothing to collect, flush or shut down. Anything else
asked of it (SDK-only attributes) is answered by the SDK's provider, built for the purpose.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from opentelemetry.metrics import Meter, MeterProvider, NoOpMeter
from opentelemetry.util.types import Attributes

from otel_product_events import guard

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics import MeterProvider as SdkMeterProvider

_log = logging.getLogger("otel_product_events")


class LazyMeterProvider(MeterProvider):
    """Builds the SDK's ``MeterProvider`` with ``build`` on the first ``get_meter``."""

    def __init__(self, build: Callable[[], SdkMeterProvider]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._provider: SdkMeterProvider | None = None
        self._given_up = False  # the build failed, or shutdown came first
        self._building: int | None = None  # the thread building it, while it does

    @property
    def built(self) -> SdkMeterProvider | None:
        """The SDK's provider, if it was built."""
        return self._provider

    def _built(self) -> SdkMeterProvider | None:
        provider = self._provider
        if provider is not None or self._given_up:
            return provider
        if self._building == threading.get_ident():
            # Asked again from inside the build (the SDK's exporters take meters for their own
            # metrics when OTEL_PYTHON_SDK_INTERNAL_METRICS_ENABLED is set): a no-op meter, not
            # a wait for ourselves.
            return None
        with self._lock:
            if self._provider is None and not self._given_up:
                self._building = threading.get_ident()
                try:
                    self._provider = self._build()
                except Exception as error:
                    self._given_up = True
                    guard.count("exporters_not_built")
                    guard.warn("exporter-not-built:metrics", "otel_product_events: the meter "
                               "provider cannot be built (%s), so no metrics are sent in this "
                               "process. Check the OTEL_EXPORTER_OTLP_* and OTEL_METRIC_* "
                               "variables.", type(error).__name__)
                    _log.debug("cannot build the meter provider", exc_info=error)
                finally:
                    self._building = None
            return self._provider

    def get_meter(self, name: str, version: str | None = None, schema_url: str | None = None,
                  attributes: Attributes = None) -> Meter:
        provider = self._built()
        if provider is None:
            return NoOpMeter(name, version=version, schema_url=schema_url)
        return provider.get_meter(name, version, schema_url, attributes)

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        provider = self._provider
        return True if provider is None else provider.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000) -> None:
        with self._lock:
            provider, self._given_up = self._provider, True
        if provider is not None:
            provider.shutdown(timeout_millis)

    def __getattr__(self, name: str) -> Any:
        # Only for attributes not defined here: the SDK provider's own (and private) ones.
        if name.startswith("__") or name in ("_build", "_lock", "_provider", "_given_up",
                                                        "_building"):
            raise AttributeError(name)
        provider = self._built()
        if provider is None:
            raise AttributeError(name)
        return getattr(provider, name)
