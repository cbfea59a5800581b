"""Every attribute key and fixed name this library writes, each spelled once.

Semantic-convention keys are used where one exists (semconv v1.44); our own keys live
under ``product.*``.
"""

from typing import Final

#: Instrumentation scope of every product event and span; the collector routes on it.
SCOPE_NAME: Final = "otel_product_events"

# Semantic conventions.
LOG_RECORD_UID: Final = "log.record.uid"
APP_INSTALLATION_ID: Final = "app.installation.id"
CODE_FUNCTION_NAME: Final = "code.function.name"
ERROR_TYPE: Final = "error.type"
PROCESS_EXIT_CODE: Final = "process.exit.code"
SERVICE_NAME: Final = "service.name"
SERVICE_VERSION: Final = "service.version"

# Ours.
PRODUCT_OUTCOME: Final = "product.outcome"
PRODUCT_RUN_ID: Final = "product.run.id"
PRODUCT_DURATION_MS: Final = "product.duration_ms"

OUTCOME_SUCCESS: Final = "success"
OUTCOME_FAILURE: Final = "failure"
OUTCOME_CANCELLED: Final = "cancelled"

#: Keys the library sets itself; a declared attribute of the same name is ignored.
RESERVED_KEYS: Final = frozenset(
    {LOG_RECORD_UID, APP_INSTALLATION_ID, CODE_FUNCTION_NAME, ERROR_TYPE, PRODUCT_OUTCOME,
     PROCESS_EXIT_CODE}
)

#: Every key the library may add to a product event itself, in a stable order: a catalog never
#: declares them, and allow-lists (in process and at the collector) always keep them.
METADATA_KEYS: Final = (LOG_RECORD_UID, APP_INSTALLATION_ID, CODE_FUNCTION_NAME, PRODUCT_OUTCOME,
                        ERROR_TYPE, PROCESS_EXIT_CODE, PRODUCT_RUN_ID, PRODUCT_DURATION_MS)
