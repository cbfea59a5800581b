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
            observations = []
            for key, value in list(values.items()):
                number, name = _number(value), _key_text(key)
                if number is None or name is None:
                    guard.count("usage_ping_values_dropped")
                    continue
                observations.append(Observation(number, {**base, USAGE_KEY: name}))
            return observations
        number = _number(values)
        if number is not None:
            return [Observation(number, base)]
        guard.warn(f"usage-type:{self.name}", "otel_product_events: usage ping %r returned a %s; "
                   "return a number or a mapping of names to numbers.", self.name,
                   type(values).__name__)
        return []


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _number(value: object) -> int | float | None:
    """A plain int (64-bit: the exporter rejects more, losing the whole batch) or float, or
    None. Subclasses are read through int/float themselves, never their own methods."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = int.__int__(value)
        return number if _INT64_MIN <= number <= _INT64_MAX else None
    if isinstance(value, float):
        return float.__float__(value)
    return None


def _key_text(key: object) -> str | None:
    if isinstance(key, str):
        return str.__str__(key)[:256] or None
    try:
        return str(key)[:256] or None
    except Exception:  # a key whose __str__ raises: that point only is dropped
        return None


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
    # Asked for here, not at import: the meter provider builds the metrics SDK on the first
    # meter asked for (pipeline/lazy_metrics.py), and importing this module must not.
    meter = metrics.get_meter(semconv.SCOPE_NAME, __version__)
    create = meter.create_observable_counter if monotonic else meter.create_observable_gauge
    create(name, callbacks=[ping.observe], unit=unit, description=description)
    return ping
