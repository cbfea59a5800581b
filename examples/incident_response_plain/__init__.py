"""The incident-response example as an unmodified application: no decorators and no
otel_product_events import. Its product events come from zero-code targets: ``targets.env``
(OTEL_PRODUCT_EVENTS_TRACK) or ``catalog.yaml`` (OTEL_PRODUCT_EVENTS_CATALOG), started with
``otel-product-events run`` or ``opentelemetry-instrument`` (see the README)."""
