"""The common filters (--since --until --version --where) keep exactly the matching events."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from otel_product_events.report import activity, filters, queries, store
from tests.report import activity_data, dataset

pytest.importorskip("duckdb")

NOW = datetime(2026, 10, 19, 12, 0, tzinfo=timezone.utc)
HOSTILE_KEY = "it's \"odd\"\\ key"
HOSTILE_VALUE = "x' OR '1'='1\\"


@pytest.fixture(scope="module")
def events() -> list[dataset.Event]:
    return activity_data.generate()


@pytest.fixture(scope="module")
def connection(events: list[dataset.Event], tmp_path_factory: pytest.TempPathFactory) -> Any:
    data_dir = tmp_path_factory.mktemp("filters")
    dataset.write(events, data_dir)
    return store.load(data_dir)


def counts(connection: Any, **options: Any) -> Counter[str]:
    dialect = filters.from_options(now=NOW, **options).apply(queries.DUCKDB)
    return Counter({r["event_name"]: r["count"] for r in queries.run_counts(connection,
                                                                            dialect=dialect)})


def expected(events: list[dataset.Event], keep: Any) -> Counter[str]:
    return Counter(e.name for e in activity_data.unique(events) if keep(e))


def day_ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp() * 1000)


def test_since_and_until_dates_include_whole_utc_days(connection: Any,
                                                      events: list[dataset.Event]) -> None:
    assert counts(connection, since="2026-09-14", until="2026-09-20") == expected(
        events, lambda e: day_ms("2026-09-14") <= e.ts_ms < day_ms("2026-09-21"))


def test_since_a_duration_counts_back_from_now(connection: Any,
                                               events: list[dataset.Event]) -> None:
    start = int(NOW.timestamp() * 1000) - 7 * activity.DAY_MS
    assert counts(connection, since="7d") == expected(events, lambda e: e.ts_ms >= start)


def test_until_a_time_is_exclusive(connection: Any, events: list[dataset.Event]) -> None:
    monday = activity_data._ms(activity_data.START) + activity.WEEK_MS
    assert counts(connection, until="2026-09-14T00:00:00Z") == expected(
        events, lambda e: e.ts_ms < monday)


def test_versions_keep_only_those_releases(connection: Any, events: list[dataset.Event]) -> None:
    assert counts(connection, versions=["1.0.0", "2.0.0"]) == expected(
        events, lambda e: e.version in {"1.0.0", "2.0.0"})


def test_where_matches_attributes_and_resource_attributes(connection: Any,
                                                          events: list[dataset.Event]) -> None:
    assert counts(connection, where=["plan=pro", "deployment.environment.name=staging"]) == (
        expected(events, lambda e: e.attributes["plan"] == "pro"
                 and e.resource["deployment.environment.name"] == "staging"))


def test_filters_apply_to_the_new_reports_too(connection: Any,
                                              events: list[dataset.Event]) -> None:
    dialect = filters.from_options(versions=["1.1.0"]).apply(queries.DUCKDB)
    kept = [e for e in events if e.version == "1.1.0"]
    rows = activity.run_active(connection, dialect=dialect)
    assert [(r["day"], r["active"], r["active_7d"], r["active_28d"]) for r in rows] == (
        activity_data.expected_active(kept))


def test_keys_and_values_match_literally_never_as_sql(tmp_path: Path) -> None:
    start = activity_data._ms(activity_data.START)
    dataset.write([dataset.Event("a", start, "i1", "1", {HOSTILE_KEY: HOSTILE_VALUE}),
                   dataset.Event("a", start, "i2", "1", {HOSTILE_KEY: "x"}),
                   dataset.Event("a", start, "i3", "1", {"other": HOSTILE_VALUE})], tmp_path)
    connection = store.load(tmp_path)
    dialect = filters.from_options(where=[f"{HOSTILE_KEY}={HOSTILE_VALUE}"]).apply(
        queries.DUCKDB)
    rows = queries.run_counts(connection, ["installation"], dialect=dialect)
    assert [r["installation_id"] for r in rows] == ["i1"]


def test_by_keys_are_literal_too(tmp_path: Path) -> None:
    start = activity_data._ms(activity_data.START)
    dataset.write([dataset.Event("a", start, "i1", "1", {HOSTILE_KEY: HOSTILE_VALUE})],
                  tmp_path)
    rows = activity.run_trends(store.load(tmp_path), "day", HOSTILE_KEY)
    assert [r[HOSTILE_KEY] for r in rows] == [HOSTILE_VALUE]


@pytest.mark.parametrize(("text", "end", "iso"), [
    ("2026-09-21", False, "2026-09-21T00:00:00+00:00"),
    ("2026-09-21", True, "2026-09-22T00:00:00+00:00"),
    ("2026-09-21T10:30", True, "2026-09-21T10:30:00+00:00"),
    ("2026-09-21T12:30+02:00", False, "2026-09-21T10:30:00+00:00"),
    ("30d", False, "2026-09-19T12:00:00+00:00"),
    ("12h", True, "2026-10-19T00:00:00+00:00")])
def test_times_are_read_as_utc(text: str, end: bool, iso: str) -> None:
    ns = filters.parse_time(text, end=end, now=NOW)
    assert datetime.fromtimestamp(ns / 1e9, timezone.utc).isoformat() == iso


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01", ""])
def test_a_bad_time_is_a_clear_error(text: str) -> None:
    with pytest.raises(ValueError, match="not a time"):
        filters.parse_time(text)


def test_where_needs_a_key() -> None:
    with pytest.raises(ValueError, match="KEY=VALUE"):
        filters.parse_match("=x")
    assert filters.parse_match("a=b=c") == ("a", "b=c")
