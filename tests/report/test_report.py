"""Report answers on a generated data set equal independently computed expected values."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from otel_product_events.report import queries, store
from tests.report import dataset

pytest.importorskip("duckdb")

WINDOW_MS = queries.parse_duration_ms("1d")


@pytest.fixture(scope="module")
def events() -> list[dataset.Event]:
    return dataset.generate()


@pytest.fixture(scope="module")
def connection(events: list[dataset.Event], tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    data_dir = tmp_path_factory.mktemp("data")
    dataset.write(events, data_dir)
    return store.load(data_dir)


def test_every_file_format_is_read_and_duplicates_count_once(
    connection, events: list[dataset.Event]  # type: ignore[no-untyped-def]
) -> None:
    """Plain, rotated, gzip, zstd stream and zstd-framed files; a re-delivered batch and a
    half-written last line; other scopes left out."""
    (total,) = connection.execute("SELECT count(*) FROM events").fetchone()
    assert total == len(events)


def test_counts_per_event_with_distinct_installations(
    connection, events: list[dataset.Event]  # type: ignore[no-untyped-def]
) -> None:
    rows = queries.run_counts(connection)
    assert {r["event_name"]: (r["count"], r["installations"]) for r in rows} == (
        dataset.expected_counts(events))


def test_counts_per_day(connection, events: list[dataset.Event]) -> None:  # type: ignore[no-untyped-def]
    rows = queries.run_counts(connection, ["day"])
    assert Counter({(r["event_name"], r["day"]): r["count"] for r in rows}) == (
        dataset.expected_daily(events))


def test_counts_per_version(connection, events: list[dataset.Event]) -> None:  # type: ignore[no-untyped-def]
    rows = queries.run_counts(connection, ["version"])
    assert {(r["event_name"], r["service_version"]): r["count"] for r in rows} == Counter(
        (e.name, e.version) for e in events)


@pytest.mark.parametrize(("by", "window"), [("app.installation.id", "1d"), ("user.id", "1d"),
                                            ("app.installation.id", "2h")])
def test_funnel_counts_and_conversions(
    connection, events: list[dataset.Event], by: str, window: str  # type: ignore[no-untyped-def]
) -> None:
    """Each step counted only after the previous one and within the window of the first."""
    window_ms = queries.parse_duration_ms(window)
    rows = queries.run_funnel(connection, dataset.FUNNEL, by, window_ms)
    expected = dataset.expected_funnel(events, dataset.FUNNEL, by, window_ms)
    assert [r["count"] for r in rows] == expected
    assert [r["step"] for r in rows] == dataset.FUNNEL
    assert rows[0]["conversion"] == 1.0
    for previous, row in zip(expected, rows[1:], strict=False):
        assert row["conversion"] == round(row["count"] / previous, 4)


def test_orphans(connection, events: list[dataset.Event]) -> None:  # type: ignore[no-untyped-def]
    rows = queries.run_orphans(connection)
    assert {r["run_id"] for r in rows} == dataset.expected_orphans(events)
    assert {r["event_name"] for r in rows} == {"pipeline.run.started"}


def test_health_flags_the_broken_version(
    connection, events: list[dataset.Event]  # type: ignore[no-untyped-def]
) -> None:
    rows = queries.run_health(connection)
    expected = dataset.expected_health(events)
    for row in rows:
        counts = expected[row["service_version"]]
        assert (row["outcomes"], row["failures"], row["started"], row["orphaned"]) == (
            counts["outcomes"], counts["failures"], counts["started"], counts["orphaned"])
    assert [(r["service_version"], r["flagged"]) for r in rows] == [
        ("1.0.0", False), ("1.1.0", True)]


@pytest.mark.parametrize(("text", "ms"), [("30m", 1_800_000), ("2h", 7_200_000),
                                          ("1d", 86_400_000), ("1.5s", 1500)])
def test_durations(text: str, ms: int) -> None:
    assert queries.parse_duration_ms(text) == ms


def test_bad_duration_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="30m, 2h, 1d"):
        queries.parse_duration_ms("soon")


def test_empty_directory_gives_empty_answers(tmp_path: Path) -> None:
    connection = store.load(tmp_path)
    assert queries.run_counts(connection) == []
    assert [r["count"] for r in queries.run_funnel(connection, ["a", "b"], "x", 1000)] == [0, 0]


def test_funnel_steps_within_one_millisecond_keep_their_order(tmp_path: Path) -> None:
    """Fast code emits several steps in the same millisecond; nanoseconds keep them apart."""
    import json

    base = 1_790_000_000_000_000_000
    records = [{"timeUnixNano": str(base + offset), "eventName": name, "attributes": [
        {"key": "log.record.uid", "value": {"stringValue": f"u{offset}"}},
        {"key": "app.installation.id", "value": {"stringValue": "i1"}}]}
        for offset, name in ((0, "a"), (200_000, "b"), (400_000, "c"))]
    request = {"resourceLogs": [{"resource": {}, "scopeLogs": [
        {"scope": {"name": "otel_product_events"}, "logRecords": records}]}]}
    (tmp_path / "product-events.jsonl").write_text(json.dumps(request) + "\n")
    rows = queries.run_funnel(store.load(tmp_path), ["a", "b", "c"], "app.installation.id",
                              WINDOW_MS)
    assert [r["count"] for r in rows] == [1, 1, 1]
