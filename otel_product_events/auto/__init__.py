"""Zero-code instrumentation: product events from an unmodified application.

Targets come from ``OTEL_PRODUCT_EVENTS_TRACK`` and the event catalog named by
``OTEL_PRODUCT_EVENTS_CATALOG`` (:mod:`otel_product_events.catalog.targets`); post-import
hooks (:mod:`.post_import`) apply them with the very recorder ``@track`` uses (:mod:`.hooks`):
by their code object on Python 3.12+ (:mod:`.monitoring`), else by wrapping, with the framework
registrations of :mod:`.registries`. Two ways to start it:
``opentelemetry-instrument`` finds :class:`~.instrumentor.ProductEventsInstrumentor` through
its entry point, and ``otel-product-events run`` (:mod:`.launcher`) configures the SDK and
instruments the child. Imports every wing below it (``instrument``, ``pipeline``, ``catalog``,
``privacy``), never ``report`` or ``testing``.
"""

from __future__ import annotations

from collections.abc import Mapping

from otel_product_events import guard
from otel_product_events.catalog.targets import Target, Targets, targets_from_environment
from otel_product_events.config import SETTINGS

from .hooks import Instrumentation, contained_error, tracked_by

__all__ = ["Instrumentation", "Target", "Targets", "instrument", "tracked_by"]


class _Running:
    """The instrumentation of this process: the launcher's bootstrap and
    ``opentelemetry-instrument`` may both ask for it (one launcher inside the other)."""

    instrumentation: Instrumentation | None = None


def instrument(environ: Mapping[str, str] | None = None) -> Instrumentation | None:
    """Starts tracking the targets named by the environment; returns what to stop later, or
    None when tracking is switched off (``DO_NOT_TRACK``, ...) or nothing is targeted. While
    one is running, it is returned again rather than tracking every target twice.

    Never raises: each problem with a target or the catalog is logged once, and the rest runs.
    """
    if not SETTINGS.enabled:
        return None
    try:
        running = _Running.instrumentation
        if running is not None and running.active:
            return running
        found = targets_from_environment(environ)
        for problem in found.problems:
            guard.warn(f"auto-config:{problem}", "otel_product_events: %s.", problem)
        if not found.targets:
            return None
        instrumentation = _Running.instrumentation = Instrumentation(found.targets)
        instrumentation.start()
        return instrumentation
    except Exception as error:
        contained_error("instrument", error)
        return None
