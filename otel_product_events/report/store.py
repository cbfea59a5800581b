"""Loads stored product events into an in-memory DuckDB table ``events``, one row per event.

Columns: ``uid``, ``event_name``, ``ts`` (TIMESTAMP, UTC), ``ts_ns``, ``ts_ms``,
``installation_id``, ``service_name``, ``service_version``, ``run_id``, ``outcome``,
``error_type``, ``attributes`` and ``resource`` (JSON). Only product events are kept (scope
``otel_product_events`` with an event name), and an event delivered twice (a retried export)
counts once, by ``log.record.uid``. ``installation_id`` is the record's ``app.installation.id``,
else its resource's.
"""

from __future__ import annotations

import json
import math
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from otel_product_events import semconv
from otel_product_events.report.otlp_json import attributes as decode_attributes

from .files import Skipped, data_files, read_requests

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


#: Timestamps the ``ts`` column can hold: nanoseconds since 1970 in a signed 64-bit integer.
_MAX_TS_NS: Final = 2**63 - 1
#: Exceptions a malformed record raises while it is flattened; it is skipped and counted.
_MALFORMED: Final = (AttributeError, KeyError, TypeError, ValueError, OverflowError,
                     RecursionError)


def event_rows(requests: Iterator[Mapping[str, Any]], skipped: Skipped | None = None,
               where: str = "") -> Iterator[dict[str, Any]]:
    """Flattens OTLP JSON log requests into one row per product event. A record that does
    not follow the OTLP schema, or whose timestamp is out of range, is skipped and counted in
    ``skipped``; the rest of its batch is kept."""
    skipped = skipped if skipped is not None else Skipped()
    for request in requests:
        for records, resource in _product_records(request, skipped, where):
            for record in records:
                try:
                    row = _row(record, resource)
                except _MALFORMED:
                    skipped.add("record: not an OTLP log record", where or "a request")
                    continue
                if row is None:
                    continue
                if not 0 <= row["ts_ns"] <= _MAX_TS_NS:
                    skipped.add("record: timestamp out of range", where or "a request")
                    continue
                yield row


def _product_records(request: Mapping[str, Any], skipped: Skipped, where: str
                     ) -> Iterator[tuple[list[Any], dict[str, Any]]]:
    """Each of our scopes' record lists, with its resource attributes; parts that do not
    follow the schema are skipped and counted."""
    for resource_logs in _list(request.get("resourceLogs")):
        try:
            resource = decode_attributes(resource_logs.get("resource", {}).get("attributes"))
            scopes = _list(resource_logs.get("scopeLogs"))
            ours = [scope.get("logRecords") for scope in scopes
                    if scope.get("scope", {}).get("name") == semconv.SCOPE_NAME]
        except _MALFORMED:
            skipped.add("resource: not OTLP logs", where or "a request")
            continue
        for records in ours:
            yield _list(records), resource


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _row(record: Mapping[str, Any], resource: Mapping[str, Any]) -> dict[str, Any] | None:
    name = record.get("eventName") or ""
    if not name:
        return None
    if not isinstance(name, str):
        raise TypeError("eventName")
    attributes = decode_attributes(record.get("attributes"))
    ts_ns = int(record.get("timeUnixNano") or record.get("observedTimeUnixNano") or 0)
    return {
        "uid": _text(attributes.get(semconv.LOG_RECORD_UID))
        or f"{name}:{ts_ns}:{record.get('spanId', '')}",
        "event_name": name,
        "ts_ns": ts_ns,
        "installation_id": _text(_installation(attributes, resource)),
        "service_name": _text(resource.get(semconv.SERVICE_NAME)),
        "service_version": _text(resource.get(semconv.SERVICE_VERSION)),
        "run_id": _text(attributes.get(semconv.PRODUCT_RUN_ID)),
        "outcome": _text(attributes.get(semconv.PRODUCT_OUTCOME)),
        "error_type": _text(attributes.get(semconv.ERROR_TYPE)),
        "attributes": attributes,
        "resource": resource,  # for --where on resource attributes
    }


def _installation(attributes: Mapping[str, Any], resource: Mapping[str, Any]) -> Any:
    # On the resource since configure() sends it once per request; on each record before that
    # and under providers built by someone else: the record's wins, old data reads as before.
    found = attributes.get(semconv.APP_INSTALLATION_ID)
    return resource.get(semconv.APP_INSTALLATION_ID) if found is None else found


def _json_line(row: dict[str, Any]) -> str:
    try:
        return json.dumps(row, default=_json_default, allow_nan=False)
    except ValueError:  # NaN or infinity ("NaN" and "Infinity" are valid OTLP JSON doubles)
        return json.dumps(_finite(row), default=_json_default)


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_finite(item) for item in value]
    return value


def load(data_dir: str | Path, skipped: Skipped | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection holding the ``events`` table read from ``data_dir``.

    What was left out (lines that are not OTLP logs, malformed records, timestamps out of
    range) is counted in ``skipped``; without one, a line per reason goes to standard error."""
    import duckdb

    report = skipped is None
    skipped = skipped if skipped is not None else Skipped()
    files = data_files(Path(data_dir))
    if not files and report:
        print(f"otel-product-events report: no event files (product-events*) in {data_dir}; "
              "is it the collector's data directory?", file=sys.stderr)
    connection = duckdb.connect()
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8") as flat:
        for path in files:
            for row in event_rows(read_requests(path, skipped), skipped, str(path)):
                flat.write(_json_line(row))
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
    if report:
        for line in skipped.lines():
            print(f"otel-product-events report: {line}", file=sys.stderr)
    return connection
