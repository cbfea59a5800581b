"""The ``opentelemetry-instrument`` entry point: zero-code targets as a ``BaseInstrumentor``.

Registered under ``opentelemetry_instrumentor`` as ``otel_product_events``, so
``opentelemetry-instrument python app.py`` picks it up after the distro configured the SDK, and
``OTEL_PYTHON_DISABLED_INSTRUMENTATIONS=otel_product_events`` leaves it out. The contrib loader
stops loading every later instrumentor when one raises, so ``_instrument`` never raises.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from opentelemetry.instrumentation.instrumentor import (  # type: ignore[attr-defined]
    BaseInstrumentor,  # (the module is marked "type: ignore" upstream)
)

from . import instrument
from .hooks import Instrumentation, contained_error


class ProductEventsInstrumentor(BaseInstrumentor):  # type: ignore[misc]
    """Tracks the targets of ``OTEL_PRODUCT_EVENTS_TRACK`` and ``OTEL_PRODUCT_EVENTS_CATALOG``.

    ``instrument()`` starts the post-import hooks; ``uninstrument()`` unwraps every target.
    """

    _instrumentation: Instrumentation | None = None

    def instrumentation_dependencies(self) -> Collection[str]:
        return ()  # it instruments the application's own code, whatever it uses

    def _instrument(self, **kwargs: Any) -> None:
        try:
            self._instrumentation = instrument()
        except Exception as error:  # instrument() does not raise; belt and braces
            contained_error("instrumentor", error)

    def _uninstrument(self, **kwargs: Any) -> None:
        try:
            instrumentation, self._instrumentation = self._instrumentation, None
            if instrumentation is not None:
                instrumentation.stop()
        except Exception as error:
            contained_error("uninstrumentor", error)
