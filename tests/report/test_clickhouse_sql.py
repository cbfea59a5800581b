"""The ClickHouse versions of the report queries give the same answers, run for real in chDB
(ClickHouse in-process) on the table the collector's ClickHouse exporter creates."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from otel_product_events.report import activity, filters, queries
from tests.report import activity_data, dataset

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


def insert(sess: Any, events: list[dataset.Event], table: str) -> None:
    """Rows as the exporter writes them, one event delivered twice, and another library's."""
    rows = []
    for event in [*events, events[0]]:  # one duplicate delivery
        attributes = {k: str(v).lower() if isinstance(v, bool) else str(v)
                      for k, v in dataset.record_attributes(event).items()}
        rows.append(json.dumps({
            "Timestamp": f"{event.ts_ms / 1000:.3f}", "ServiceName": "shop",
            "ResourceAttributes": {"service.name": "shop", "service.version": event.version,
                                   **event.resource},
            "ScopeName": "otel_product_events", "LogAttributes": attributes,
            "EventName": event.name}))
    rows.append(json.dumps({"Timestamp": "1", "ScopeName": "other.library",
                            "EventName": "incident.created", "LogAttributes": {}}))
    sess.query(f"INSERT INTO {table} FORMAT JSONEachRow\n" + "\n".join(rows))


@pytest.fixture(scope="module")
def session(events: list[dataset.Event], activity_events: list[dataset.Event]
            ) -> Iterator[Any]:
    sess = chdb_session.Session()
    sess.query("CREATE DATABASE IF NOT EXISTS product_events")
    sess.query(TABLE)
    sess.query(TABLE.replace("product_events.product_events", "product_events.activity"))
    insert(sess, events, "product_events.product_events")
    insert(sess, activity_events, "product_events.activity")
    yield sess
    sess.close()


@pytest.fixture(scope="module")
def activity_events() -> list[dataset.Event]:
    return activity_data.generate()


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


ACTIVITY = queries.clickhouse("product_events.activity")


def bounds(session: Any, dialect: queries.Dialect = ACTIVITY) -> dict[str, Any]:
    return run(session, activity.bounds_sql(dialect))[0]


@pytest.mark.parametrize(("every", "by"), [("hour", None), ("day", None), ("week", None),
                                           ("week", "plan")])
def test_trends_equal_the_brute_force_count(
        session: Any, activity_events: list[dataset.Event], every: str, by: str | None) -> None:
    rows = activity.trends_rows(run(session, activity.trends_sql(ACTIVITY, every, by)), by)
    assert Counter({(r["period"], r["event_name"], *([r[by]] if by else [])): r["count"]
                    for r in rows}) == activity_data.expected_trends(activity_events, every, by)


@pytest.mark.parametrize("by", ["app.installation.id", "user.id"])
def test_active_per_day_equals_the_brute_force_count(
        session: Any, activity_events: list[dataset.Event], by: str) -> None:
    found = bounds(session)
    rows = activity.active_rows(run(session, activity.active_sql(ACTIVITY, by)),
                                int(found["first_ms"]), int(found["last_ms"]))
    assert [(r["day"], r["active"], r["active_7d"], r["active_28d"]) for r in rows] == (
        activity_data.expected_active(activity_events, by))


@pytest.mark.parametrize(("every", "returning"), [("week", None), ("day", None),
                                                  ("week", "export.finished")])
def test_retention_triangle_equals_the_brute_force_count(
        session: Any, activity_events: list[dataset.Event], every: str,
        returning: str | None) -> None:
    raw = run(session, activity.retention_sql(ACTIVITY, every, returning=returning))
    rows = activity.retention_rows(raw, int(bounds(session)["last_ms"]), every)
    assert {(r["cohort"], r["period"]): (r["size"], r["returned"]) for r in rows} == (
        activity_data.expected_retention(activity_events, every, returning=returning))


def test_days_are_utc_days_in_any_server_time_zone(
        session: Any, activity_events: list[dataset.Event]) -> None:
    """The exporter's Timestamp has no time zone: ClickHouse reads it in the server's. A column
    pinned to UTC+14 stands for such a server; the answers must still be in UTC days."""
    table = "product_events.far_away"
    session.query(TABLE.replace("product_events.product_events", table).replace(
        "Timestamp DateTime64(9)", "Timestamp DateTime64(9, 'Pacific/Kiritimati')"))
    insert(session, activity_events, table)
    dialect = queries.clickhouse(table)
    rows = run(session, queries.counts_sql(dialect, ["day"]))
    assert Counter({(r["event_name"], r["day"]): int(r["count"]) for r in rows}) == (
        dataset.expected_daily(activity_data.unique(activity_events)))
    trends = activity.trends_rows(run(session, activity.trends_sql(dialect, "day")))
    assert Counter({(r["period"], r["event_name"]): r["count"] for r in trends}) == (
        activity_data.expected_trends(activity_events, "day"))


def test_filters_keep_the_matching_events(session: Any,
                                          activity_events: list[dataset.Event]) -> None:
    chosen = filters.from_options(since="2026-09-14", until="2026-10-04", versions=["1.1.0"],
                                  where=["plan=free", "deployment.environment.name=prod"])
    rows = run(session, queries.counts_sql(chosen.apply(ACTIVITY)))
    low, high = activity_data._ms(activity_data.START) + 7 * activity.DAY_MS, (
        activity_data._ms(activity_data.START) + 28 * activity.DAY_MS)
    assert Counter({r["event_name"]: int(r["count"]) for r in rows}) == Counter(
        e.name for e in activity_data.unique(activity_events)
        if low <= e.ts_ms < high and e.version == "1.1.0" and e.attributes["plan"] == "free"
        and e.resource["deployment.environment.name"] == "prod")


def test_where_keys_and_values_match_literally(session: Any) -> None:
    key, value = "it's \"odd\"\\ key", "x' OR '1'='1\\"
    table = "product_events.hostile"
    session.query(TABLE.replace("product_events.product_events", table))
    insert(session, [dataset.Event("a", 1_790_000_000_000, "i1", "1", {key: value}),
                     dataset.Event("a", 1_790_000_000_000, "i2", "1", {key: "x"}),
                     dataset.Event("a", 1_790_000_000_000, "i3", "1", {"k": value})], table)
    dialect = filters.from_options(where=[f"{key}={value}"]).apply(queries.clickhouse(table))
    rows = run(session, queries.counts_sql(dialect, ["installation"]))
    assert [r["installation_id"] for r in rows] == ["i1"]
    trends = activity.trends_rows(run(session, activity.trends_sql(dialect, "day", key)), key)
    assert [r[key] for r in trends] == [value]


def test_where_an_empty_value_needs_the_key_set(session: Any) -> None:
    """A ClickHouse Map gives '' for a missing key; ``KEY=`` must not match those."""
    dialect = filters.from_options(where=["no.such.key="]).apply(ACTIVITY)
    assert run(session, queries.counts_sql(dialect)) == []
