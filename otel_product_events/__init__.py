"""Product-analytics events on OpenTelemetry.

A call of a function decorated with :func:`track` becomes a span plus one *product event*: an
OpenTelemetry log record with an event name, carrying only the attributes you declared,
correlated with the trace. See the README for the full tour.
"""

from .api import AttributeSource, TrackedFunction, emit, track
from .catalog import Catalog, CatalogError, load_catalog
from .consent import is_enabled, set_enabled
from .context import product_context
from .errors import ProductEventsError, ProductEventsWarning
from .extract import Call, count_of
from .flushing import flush
from .lifecycle import LifecycleRun, track_lifecycle
from .policy import enforce_catalog
from .privacy import hashed
from .providers import Setup, configure, shutdown
from .stats import stats
from .usage_ping import UsagePing, usage_ping
from .version import __version__

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
