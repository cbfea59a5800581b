"""Trends, active installations and retention (DuckDB) equal a brute-force computation."""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from otel_product_events.report import activity, queries, store
from tests.report import activity_data, dataset

pytest.importorskip("duckdb")


@pytest.fixture(scope="module")
def events() -> list[dataset.Event]:
    return activity_data.generate()


@pytest.fixture(scope="module")
def connection(events: list[dataset.Event], tmp_path_factory: pytest.TempPathFactory) -> Any:
    data_dir = tmp_path_factory.mktemp("activity")
    dataset.write(events, data_dir)
    return store.load(data_dir)


def test_the_data_set_has_what_the_edge_cases_need(events: list[dataset.Event]) -> None:
    """Duplicates by uid, events exactly on a Monday 00:00 UTC, a cohort with no return."""
    assert len(events) > len(activity_data.unique(events))
    assert any(e.ts_ms % activity.WEEK_MS == 4 * activity.DAY_MS for e in events)
    cells = activity_data.expected_retention(events)
    later: dict[str, list[int]] = {}
    for (cohort, k), (_, back) in cells.items():
        if k > 0:
            later.setdefault(cohort, []).append(back)
    assert any(backs and not any(backs) for backs in later.values())


@pytest.mark.parametrize("every", ["hour", "day", "week"])
def test_trends_per_period_and_event(connection: Any, events: list[dataset.Event],
                                     every: str) -> None:
    rows = activity.run_trends(connection, every)
    assert Counter({(r["period"], r["event_name"]): r["count"] for r in rows}) == (
        activity_data.expected_trends(events, every))


def test_trends_by_an_attribute(connection: Any, events: list[dataset.Event]) -> None:
    rows = activity.run_trends(connection, "week", "plan")
    assert Counter({(r["period"], r["event_name"], r["plan"]): r["count"] for r in rows}) == (
        activity_data.expected_trends(events, "week", "plan"))


def test_an_event_at_monday_midnight_starts_the_new_week(tmp_path: Path) -> None:
    monday = activity_data._ms(activity_data.START)
    events = [dataset.Event("a", monday - 1, "i", "1"), dataset.Event("a", monday, "i", "1")]
    dataset.write(events, tmp_path)
    rows = activity.run_trends(store.load(tmp_path), "week")
    assert [(r["period"], r["count"]) for r in rows] == [
        ("2026-08-31T00:00:00Z", 1), ("2026-09-07T00:00:00Z", 1)]


@pytest.mark.parametrize("by", ["app.installation.id", "user.id"])
def test_active_per_day_with_rolling_windows(connection: Any, events: list[dataset.Event],
                                             by: str) -> None:
    rows = activity.run_active(connection, by)
    assert [(r["day"], r["active"], r["active_7d"], r["active_28d"]) for r in rows] == (
        activity_data.expected_active(events, by))
    for row in rows:
        assert row["stickiness"] == (round(row["active"] / row["active_28d"], 4)
                                     if row["active_28d"] else 0.0)


def test_active_days_without_anyone_are_zero_rows(tmp_path: Path) -> None:
    day = activity.DAY_MS
    start = activity_data._ms(activity_data.START)
    dataset.write([dataset.Event("a", start, "i", "1"),
                   dataset.Event("a", start + 40 * day, "i", "1")], tmp_path)
    rows = activity.run_active(store.load(tmp_path))
    assert len(rows) == 41
    assert (rows[1]["active"], rows[27]["active_28d"], rows[28]["active_28d"]) == (0, 1, 0)


@pytest.mark.parametrize(("every", "by", "returning"), [
    ("week", "app.installation.id", None), ("day", "app.installation.id", None),
    ("week", "user.id", None), ("week", "app.installation.id", "export.finished")])
def test_retention_triangle(connection: Any, events: list[dataset.Event], every: str, by: str,
                            returning: str | None) -> None:
    rows = activity.run_retention(connection, every, by, returning)
    assert {(r["cohort"], r["period"]): (r["size"], r["returned"]) for r in rows} == (
        activity_data.expected_retention(events, every, by, returning))
    for row in rows:
        assert row["share"] == round(row["returned"] / row["size"], 4)


def test_a_cohort_with_no_return_has_zero_cells(tmp_path: Path) -> None:
    start = activity_data._ms(activity_data.START)
    week = activity.WEEK_MS
    dataset.write([dataset.Event("a", start, "stays", "1"),
                   dataset.Event("a", start + week, "stays", "1"),
                   dataset.Event("a", start + week, "leaves", "1"),
                   dataset.Event("a", start + 2 * week, "stays", "1")], tmp_path)
    rows = activity.run_retention(store.load(tmp_path))
    assert [(r["cohort"][:10], r["period"], r["returned"]) for r in rows] == [
        ("2026-09-07", 0, 1), ("2026-09-07", 1, 1), ("2026-09-07", 2, 1),
        ("2026-09-14", 0, 1), ("2026-09-14", 1, 0)]


@pytest.fixture
def far_time_zone() -> Iterator[None]:
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "Pacific/Kiritimati"  # UTC+14: any local-time slip moves the day
    time.tzset()
    yield
    if saved is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = saved
    time.tzset()


@pytest.mark.usefixtures("far_time_zone")
def test_periods_are_utc_whatever_the_local_time_zone(events: list[dataset.Event],
                                                      tmp_path: Path) -> None:
    dataset.write(events, tmp_path)
    connection = store.load(tmp_path)
    rows = activity.run_trends(connection, "day")
    assert Counter({(r["period"], r["event_name"]): r["count"] for r in rows}) == (
        activity_data.expected_trends(events, "day"))
    assert [r["day"] for r in activity.run_active(connection)] == [
        day for day, *_ in activity_data.expected_active(events)]
    daily = queries.run_counts(connection, ["day"])
    assert Counter({(r["event_name"], r["day"]): r["count"] for r in daily}) == (
        dataset.expected_daily(activity_data.unique(events)))


def test_no_events_give_no_rows(tmp_path: Path) -> None:
    connection = store.load(tmp_path)
    assert activity.run_trends(connection) == []
    assert activity.run_active(connection) == []
    assert activity.run_retention(connection) == []
