"""Product-analytics events on OpenTelemetry.

A call of a function decorated with :func:`track` becomes a span plus one *product event*: an
OpenTelemetry log record with an event name, carrying only the attributes you declared,
correlated with the trace. See the README for the full tour.
"""

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
from otel_product_events.version import __version__

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
