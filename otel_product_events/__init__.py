"""Product-analytics events on OpenTelemetry.

A call of a function decorated with :func:`track` becomes a span plus one *product event*: an
OpenTelemetry log record with an event name, carrying only the attributes you declared,
correlated with the trace. See the README for the full tour.

The public names are imported on first use (PEP 562): ``import otel_product_events`` costs next
to nothing, so the zero-code bootstrap, which runs in every process an application starts and
imports our submodules (and so this package), pays only for what it uses. The first name used
imports them all at once (a few tens of milliseconds), so that no later use can find one of
them half-imported: a signal handler that emits interrupts an import only during that first
use, and its ``emit`` then waits until the import is done, as an emit interrupting an emit
does.
"""

import sys
from _thread import get_ident
from typing import TYPE_CHECKING, Any

from otel_product_events.version import __version__

if TYPE_CHECKING:  # what type checkers and editors see; _LAZY below must name the same
    from otel_product_events.attributes import AttributeSource, Call, count_of, hashed
    from otel_product_events.catalog.model import Catalog, CatalogError, load_catalog
    from otel_product_events.catalog.policy import enforce_catalog
    from otel_product_events.errors import ProductEventsError, ProductEventsWarning
    from otel_product_events.instrument.api import TrackedFunction, emit, track
    from otel_product_events.instrument.context import product_context
    from otel_product_events.instrument.lifecycle import LifecycleRun, track_lifecycle
    from otel_product_events.instrument.usage_ping import UsagePing, usage_ping
    from otel_product_events.pipeline.flushing import flush
    from otel_product_events.pipeline.providers import Setup, configure, shutdown
    from otel_product_events.pipeline.stats import stats
    from otel_product_events.privacy.consent import is_enabled, set_enabled

#: Public name -> the module defining it (tests/test_layout.py checks it against the imports
#: above, and counts these modules as imported by this one).
_LAZY = {
    "AttributeSource": "otel_product_events.attributes",
    "Call": "otel_product_events.attributes",
    "count_of": "otel_product_events.attributes",
    "hashed": "otel_product_events.attributes",
    "Catalog": "otel_product_events.catalog.model",
    "CatalogError": "otel_product_events.catalog.model",
    "load_catalog": "otel_product_events.catalog.model",
    "enforce_catalog": "otel_product_events.catalog.policy",
    "ProductEventsError": "otel_product_events.errors",
    "ProductEventsWarning": "otel_product_events.errors",
    "TrackedFunction": "otel_product_events.instrument.api",
    "emit": "otel_product_events.instrument.api",
    "track": "otel_product_events.instrument.api",
    "product_context": "otel_product_events.instrument.context",
    "LifecycleRun": "otel_product_events.instrument.lifecycle",
    "track_lifecycle": "otel_product_events.instrument.lifecycle",
    "UsagePing": "otel_product_events.instrument.usage_ping",
    "usage_ping": "otel_product_events.instrument.usage_ping",
    "flush": "otel_product_events.pipeline.flushing",
    "Setup": "otel_product_events.pipeline.providers",
    "configure": "otel_product_events.pipeline.providers",
    "shutdown": "otel_product_events.pipeline.providers",
    "stats": "otel_product_events.pipeline.stats",
    "is_enabled": "otel_product_events.privacy.consent",
    "set_enabled": "otel_product_events.privacy.consent",
}

__all__ = [
    "AttributeSource",
    "Call",
    "Catalog",
    "CatalogError",
    "LifecycleRun",
    "ProductEventsError",
    "ProductEventsWarning",
    "Setup",
    "TrackedFunction",
    "UsagePing",
    "__version__",
    "configure",
    "count_of",
    "emit",
    "enforce_catalog",
    "flush",
    "hashed",
    "is_enabled",
    "load_catalog",
    "product_context",
    "set_enabled",
    "shutdown",
    "stats",
    "track",
    "track_lifecycle",
    "usage_ping",
]

#: Threads importing the public names (their first use), and the emits deferred meanwhile.
_importing: set[int] = set()
_emits_later: list[tuple[tuple[Any, ...], dict[str, Any]]] = []


def _emit_later(*args: Any, **kwargs: Any) -> None:
    _emits_later.append((args, kwargs))


if not TYPE_CHECKING:  # (hidden from type checkers, which would take any name for valid)

    def __getattr__(name: str) -> Any:
        if name not in _LAZY:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        thread = get_ident()
        if thread in _importing:  # a signal handler, interrupting the first use in its thread
            if name == "emit":
                return _emit_later
            # Any other name: its module may be loaded already (flush and shutdown are, once
            # configure() ran); importing it here could meet the interrupted import half done.
            found = getattr(sys.modules.get(_LAZY[name]), name, None)
            if found is None:
                raise AttributeError(f"{__name__}.{name} is being imported (first use)")
            return found
        import importlib

        _importing.add(thread)
        try:
            for each, module in _LAZY.items():
                globals()[each] = getattr(importlib.import_module(module), each)
        finally:
            _importing.discard(thread)
        while _emits_later:
            args, kwargs = _emits_later.pop(0)
            globals()["emit"](*args, **kwargs)
        return globals()[name]

    def __dir__() -> list[str]:
        return sorted({*globals(), *_LAZY})
