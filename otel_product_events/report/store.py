"""Loads stored product events into an in-memory DuckDB table ``events``, one row per event.

Columns: ``uid``, ``event_name``, ``ts`` (TIMESTAMP, UTC), ``ts_ns``, ``ts_ms``,
``installation_id``, ``service_name``, ``service_version``, ``run_id``, ``outcome``,
``error_type``, ``attributes`` and ``resource`` (JSON). Only product events are kept (scope
``otel_product_events`` with an event name), and an event delivered twice (a retried export)
counts once, by ``log.record.uid``.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from otel_product_events import semconv
from otel_product_events.report.otlp_json import attributes as decode_attributes

from .files import data_files, read_requests

if TYPE_CHECKING:
    import duckdb

_COLUMNS = {
    "uid": "VARCHAR", "event_name": "VARCHAR", "ts_ns": "BIGINT", "installation_id": "VARCHAR",
    "service_name": "VARCHAR", "service_version": "VARCHAR", "run_id": "VARCHAR",
    "outcome": "VARCHAR", "error_type": "VARCHAR", "attributes": "JSON", "resource": "JSON",
}


def _json_default(value: object) -> str:
    return value.hex() if isinstance(value, bytes) else str(value)


def _text(value: object) -> str:
    return "" if value is None else str(value)


def event_rows(requests: Iterator[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    """Flattens OTLP JSON log requests into one row per product event."""
    for request in requests:
        for resource_logs in request.get("resourceLogs", []):
            resource = decode_attributes(resource_logs.get("resource", {}).get("attributes"))
            for scope_logs in resource_logs.get("scopeLogs", []):
                if scope_logs.get("scope", {}).get("name") != semconv.SCOPE_NAME:
                    continue
                for record in scope_logs.get("logRecords", []):
                    name = record.get("eventName") or ""
                    if not name:
                        continue
                    attributes = decode_attributes(record.get("attributes"))
                    ts_ns = int(record.get("timeUnixNano") or record.get("observedTimeUnixNano")
                                or 0)
                    yield {
                        "uid": _text(attributes.get(semconv.LOG_RECORD_UID))
                        or f"{name}:{ts_ns}:{record.get('spanId', '')}",
                        "event_name": name,
                        "ts_ns": ts_ns,
                        "installation_id": _text(attributes.get(semconv.APP_INSTALLATION_ID)),
                        "service_name": _text(resource.get(semconv.SERVICE_NAME)),
                        "service_version": _text(resource.get(semconv.SERVICE_VERSION)),
                        "run_id": _text(attributes.get(semconv.PRODUCT_RUN_ID)),
                        "outcome": _text(attributes.get(semconv.PRODUCT_OUTCOME)),
                        "error_type": _text(attributes.get(semconv.ERROR_TYPE)),
                        "attributes": attributes,
                        "resource": resource,  # for --where on resource attributes
                    }


def load(data_dir: str | Path) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection holding the ``events`` table read from ``data_dir``."""
    import duckdb

    files = data_files(Path(data_dir))
    connection = duckdb.connect()
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8") as flat:
        for path in files:
            for row in event_rows(read_requests(path)):
                flat.write(json.dumps(row, default=_json_default))
                flat.write("\n")
        flat.flush()
        columns = ", ".join(f"'{name}': '{kind}'" for name, kind in _COLUMNS.items())
        connection.execute(f"""
            CREATE TABLE events AS
            SELECT *, ts_ns // 1000000 AS ts_ms,
                   make_timestamp(ts_ns // 1000) AS ts
            FROM read_json(?, format = 'newline_delimited', columns = {{{columns}}})
            QUALIFY row_number() OVER (PARTITION BY uid ORDER BY ts_ns) = 1
        """, [flat.name])
    return connection
