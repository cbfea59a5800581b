"""The ClickHouse versions of the report queries give the same answers, run for real in chDB
(ClickHouse in-process) on the table the collector's ClickHouse exporter creates."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from otel_product_events.report import queries
from tests.report import dataset

chdb_session = pytest.importorskip("chdb.session")

GO_MODULES = Path.home() / "go" / "pkg" / "mod" / "github.com" / "open-telemetry"
DDL_TEMPLATE = ("opentelemetry-collector-contrib/exporter/clickhouseexporter@v0.157.0/internal/"
                "sqltemplates/logs_table.sql")

# The exporter's own DDL (logs_table.sql at v0.157.0), rendered for product_events.product_events.
# Kept here verbatim minus codecs and skip indexes, which do not change query results; when the
# Go module cache holds the template, the test checks the columns still match it.
TABLE = """
CREATE TABLE product_events.product_events (
    Timestamp DateTime64(9), TraceId String, SpanId String, TraceFlags UInt8,
    SeverityText LowCardinality(String), SeverityNumber UInt8,
    ServiceName LowCardinality(String), Body String, ResourceSchemaUrl LowCardinality(String),
    ResourceAttributes Map(LowCardinality(String), String),
    ScopeSchemaUrl LowCardinality(String), ScopeName String,
    ScopeVersion LowCardinality(String), ScopeAttributes Map(LowCardinality(String), String),
    LogAttributes Map(LowCardinality(String), String), EventName String
) ENGINE = MergeTree PARTITION BY toDate(Timestamp)
ORDER BY (toStartOfFiveMinutes(Timestamp), ServiceName, Timestamp)
"""


def test_table_columns_match_the_exporters_template() -> None:
    template = GO_MODULES / DDL_TEMPLATE
    if not template.exists():
        pytest.skip("the exporter's module is not in the Go module cache")
    columns = re.findall(r"^\s+`(\w+)` ", template.read_text(), re.MULTILINE)
    assert columns == re.findall(r"(\w+) [A-Z][\w(]", TABLE.split("(", 1)[1])[:len(columns)]


@pytest.fixture(scope="module")
def session(events: list[dataset.Event]) -> Iterator[Any]:
    sess = chdb_session.Session()
    sess.query("CREATE DATABASE IF NOT EXISTS product_events")
    sess.query(TABLE)
    rows = []
    for event in [*events, events[0]]:  # one duplicate delivery
        attributes = {k: str(v).lower() if isinstance(v, bool) else str(v)
                      for k, v in event.attributes.items()}
        attributes |= {"log.record.uid": event.uid, "app.installation.id": event.installation}
        rows.append(json.dumps({
            "Timestamp": f"{event.ts_ms / 1000:.3f}", "ServiceName": "shop",
            "ResourceAttributes": {"service.name": "shop", "service.version": event.version},
            "ScopeName": "otel_product_events", "LogAttributes": attributes,
            "EventName": event.name}))
    rows.append(json.dumps({"Timestamp": "1", "ScopeName": "other.library",
                            "EventName": "incident.created", "LogAttributes": {}}))
    sess.query("INSERT INTO product_events.product_events FORMAT JSONEachRow\n" + "\n".join(rows))
    yield sess
    sess.close()


@pytest.fixture(scope="module")
def events() -> list[dataset.Event]:
    return dataset.generate()


def run(session: Any, sql: str) -> list[dict[str, Any]]:
    text = str(session.query(sql, "JSONEachRow"))
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_counts(session: Any, events: list[dataset.Event]) -> None:
    rows = run(session, queries.counts_sql(queries.CLICKHOUSE))
    assert {r["event_name"]: (int(r["count"]), int(r["installations"])) for r in rows} == (
        dataset.expected_counts(events))


@pytest.mark.parametrize(("by", "window"), [("app.installation.id", "1d"), ("user.id", "1d"),
                                            ("app.installation.id", "2h")])
def test_funnel(session: Any, events: list[dataset.Event], by: str, window: str) -> None:
    window_ms = queries.parse_duration_ms(window)
    raw = run(session, queries.funnel_sql(queries.CLICKHOUSE, dataset.FUNNEL, by, window_ms))
    rows = queries.funnel_rows(dataset.FUNNEL, raw)
    assert [r["count"] for r in rows] == dataset.expected_funnel(events, dataset.FUNNEL, by,
                                                                 window_ms)


def test_orphans_and_health(session: Any, events: list[dataset.Event]) -> None:
    orphans = run(session, queries.orphans_sql(queries.CLICKHOUSE))
    assert {r["run_id"] for r in orphans} == dataset.expected_orphans(events)
    health = queries.health_rows(run(session, queries.health_sql(queries.CLICKHOUSE)))
    expected = dataset.expected_health(events)
    for row in health:
        counts = expected[row["service_version"]]
        assert (row["outcomes"], row["failures"], row["started"], row["orphaned"]) == (
            counts["outcomes"], counts["failures"], counts["started"], counts["orphaned"])
    assert [r["flagged"] for r in health] == [False, True]
