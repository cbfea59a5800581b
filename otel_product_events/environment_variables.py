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

OTEL_PRODUCT_EVENTS_STRICT = "OTEL_PRODUCT_EVENTS_STRICT"
"""
.. envvar:: OTEL_PRODUCT_EVENTS_STRICT

``true`` raises internal errors instead of logging them (for test suites and CI).
"""
