"""Names of the environment variables this library reads (our own ``OTEL_PRODUCT_EVENTS_*``).

This module is registered under the ``opentelemetry_environment_variables`` entry point so that
``opentelemetry-instrument`` offers them as flags. It must hold our own string constants and
nothing else: importing a foreign ``OTEL_*`` name here would make ``opentelemetry-instrument``
register a flag twice and abort.
"""

OTEL_PRODUCT_EVENTS_ENABLED = "OTEL_PRODUCT_EVENTS_ENABLED"
"""
.. envvar:: OTEL_PRODUCT_EVENTS_ENABLED

``false`` switches every product event and span of this library off (default ``true``).
"""

OTEL_PRODUCT_EVENTS_INSTALLATION_ID = "OTEL_PRODUCT_EVENTS_INSTALLATION_ID"
"""
.. envvar:: OTEL_PRODUCT_EVENTS_INSTALLATION_ID

Overrides the anonymous ``app.installation.id`` (otherwise random and persisted).
"""

OTEL_PRODUCT_EVENTS_STATE_DIR = "OTEL_PRODUCT_EVENTS_STATE_DIR"
"""
.. envvar:: OTEL_PRODUCT_EVENTS_STATE_DIR

Directory holding the persisted installation id (default: the user state directory).
"""

OTEL_PRODUCT_EVENTS_SHUTDOWN_TIMEOUT = "OTEL_PRODUCT_EVENTS_SHUTDOWN_TIMEOUT"
"""
.. envvar:: OTEL_PRODUCT_EVENTS_SHUTDOWN_TIMEOUT

Seconds the exit flush may take before the process exits anyway (default 2).
"""

OTEL_PRODUCT_EVENTS_MAX_EVENT_SIZE = "OTEL_PRODUCT_EVENTS_MAX_EVENT_SIZE"
"""
.. envvar:: OTEL_PRODUCT_EVENTS_MAX_EVENT_SIZE

Bytes one event may take, its name and encoded attributes (default 262144, i.e. 256 KiB); a
larger event is dropped when emitted, counted and warned about.
"""

OTEL_PRODUCT_EVENTS_STRICT = "OTEL_PRODUCT_EVENTS_STRICT"
"""
.. envvar:: OTEL_PRODUCT_EVENTS_STRICT

``true`` raises internal errors instead of logging them (for test suites and CI).
"""

OTEL_PRODUCT_EVENTS_TRACK = "OTEL_PRODUCT_EVENTS_TRACK"
"""
.. envvar:: OTEL_PRODUCT_EVENTS_TRACK

Zero-code targets, comma-separated ``module:qualname=event.name`` (a function, method,
classmethod or staticmethod), e.g. ``shop.orders:place_order=order.placed``.
"""

OTEL_PRODUCT_EVENTS_CATALOG = "OTEL_PRODUCT_EVENTS_CATALOG"
"""
.. envvar:: OTEL_PRODUCT_EVENTS_CATALOG

Path of the event catalog (YAML): each event, its meaning, its attributes and, optionally, the
function that emits it (a zero-code target).
"""

OTEL_PRODUCT_EVENTS_HASH_ALGORITHM = "OTEL_PRODUCT_EVENTS_HASH_ALGORITHM"
"""
.. envvar:: OTEL_PRODUCT_EVENTS_HASH_ALGORITHM

How ``hashed(...)`` attributes are hashed: ``hmac-sha256`` (default, keyed), ``sha256`` or
``md5`` (unkeyed, for compatibility).
"""

OTEL_PRODUCT_EVENTS_HASH_KEY = "OTEL_PRODUCT_EVENTS_HASH_KEY"
"""
.. envvar:: OTEL_PRODUCT_EVENTS_HASH_KEY

The HMAC key (text). Default: a random key kept in the state directory.
"""

OTEL_PRODUCT_EVENTS_SPOOL = "OTEL_PRODUCT_EVENTS_SPOOL"
"""
.. envvar:: OTEL_PRODUCT_EVENTS_SPOOL

``false`` turns the offline spool off (default ``true``): records the collector could not take
are then dropped (counted) instead of kept in the state directory for the next run.
"""

OTEL_PRODUCT_EVENTS_SPOOL_MAX_MIB = "OTEL_PRODUCT_EVENTS_SPOOL_MAX_MIB"
"""
.. envvar:: OTEL_PRODUCT_EVENTS_SPOOL_MAX_MIB

Size bound of the spool in MiB (default 50); the oldest files are dropped (counted) beyond it.
"""

OTEL_PRODUCT_EVENTS_SPOOL_MAX_AGE_DAYS = "OTEL_PRODUCT_EVENTS_SPOOL_MAX_AGE_DAYS"
"""
.. envvar:: OTEL_PRODUCT_EVENTS_SPOOL_MAX_AGE_DAYS

Spooled records older than this many days are dropped (counted) instead of sent (default 7).
"""
