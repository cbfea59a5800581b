"""Usage ping: periodic aggregated counts (GitLab's model) as OpenTelemetry metrics.

``usage_ping("incidents.open", count_open_incidents)`` registers an observable instrument whose
callback the metric reader calls on its own schedule; the values travel over OTLP next to the
events, tagged with ``app.installation.id``, and the collector stores them. No event is sent,
and no personal data: only the numbers the callback returns.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Final, Union

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

from otel_product_events import guard, semconv
from otel_product_events.privacy.consent import SWITCH
from otel_product_events.privacy.installation import installation_id
from otel_product_events.version import __version__

#: Attribute naming the item of a ping whose callback returns a mapping (table -> rows).
USAGE_KEY: Final = "product.usage.key"

Number = Union[int, float]  # noqa: UP007 - a runtime alias, kept valid on Python 3.10
UsageCallback = Callable[[], Union[Number, Mapping[str, Number]]]  # noqa: UP007

_meter = metrics.get_meter(semconv.SCOPE_NAME, __version__)


class UsagePing:
    """A registered usage ping; :meth:`stop` makes it report nothing from then on."""

    def __init__(self, name: str, callback: UsageCallback, interval_s: float) -> None:
        self.name = name
        self._callback = callback
        self._interval_s = interval_s
        self._last_report = -float("inf")
        self._lock = threading.Lock()
        self._stopped = False

    def stop(self) -> None:
        self._stopped = True

    def observe(self, options: CallbackOptions) -> Iterable[Observation]:
        """The instrument callback: at most one report per interval, never raising."""
        if self._stopped or not SWITCH.on:
            return []
        with self._lock:
            now = time.monotonic()
            if now - self._last_report < self._interval_s:
                return []
            self._last_report = now
        try:
            return self._observations(self._callback())
        except Exception as error:
            guard.warn(f"usage:{self.name}", "otel_product_events: usage ping %r: its callback "
                       "raised %s; nothing reported this time.", self.name, type(error).__name__)
            guard.count("usage_ping_errors")
            return []

    def _observations(self, values: Number | Mapping[str, Number]) -> list[Observation]:
        base = {semconv.APP_INSTALLATION_ID: installation_id()}
        if isinstance(values, Mapping):
            return [Observation(value, {**base, USAGE_KEY: str(key)})
                    for key, value in values.items() if _is_number(value)]
        if _is_number(values):
            return [Observation(values, base)]
        guard.warn(f"usage-type:{self.name}", "otel_product_events: usage ping %r returned a %s; "
                   "return a number or a mapping of names to numbers.", self.name,
                   type(values).__name__)
        return []


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def usage_ping(
    name: str,
    callback: UsageCallback,
    *,
    interval: float = 3600.0,
    monotonic: bool = False,
    unit: str = "",
    description: str = "",
) -> UsagePing:
    """Reports ``callback()`` as the metric ``name`` at most once every ``interval`` seconds.

    ``callback`` returns a number, or a mapping of names to numbers (one data point each,
    tagged ``product.usage.key``). By default the metric is a gauge (current counts such as
    rows per table); ``monotonic=True`` makes it a counter (running totals). The reader's
    export interval (``OTEL_METRIC_EXPORT_INTERVAL``, 60 s by default) is the finest resolution.
    """
    if not isinstance(name, str) or not name.strip():
        raise TypeError(f"usage_ping() needs a metric name, got {name!r}")
    if not callable(callback):
        raise TypeError("usage_ping() needs a callable returning the counts")
    if not interval > 0:
        raise ValueError("usage_ping(interval=...) must be a positive number of seconds")
    ping = UsagePing(name, callback, float(interval))
    create = _meter.create_observable_counter if monotonic else _meter.create_observable_gauge
    create(name, callbacks=[ping.observe], unit=unit, description=description)
    return ping
