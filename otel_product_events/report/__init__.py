"""Answers over stored product events: counts, funnels, orphaned runs, version health, trends,
active installations, retention, and a dashboard page of them all (all times UTC).

Read-only, and independent of the tracking side: it reads what the collector stored (OTLP JSON
lines, rotated and compressed ones included) into DuckDB, and can print the same queries for
the ClickHouse schema of the collector's ClickHouse exporter. Needs the ``report`` extra
(``pip install 'otel-product-events[report]'``). Imports only the ground floor (``semconv``):
answering never loads the tracking side.
"""
