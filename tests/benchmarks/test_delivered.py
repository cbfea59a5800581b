"""The delivered-cost benchmark's harness still counts exactly (the timings themselves are not
tested: make bench runs them). Tiny runs: each tracker's process really sends to the sink."""

from __future__ import annotations

import importlib.util

import pytest

from tests.benchmarks import delivered

EVENTS = 50


def _installed(name: str) -> bool:
    needs = delivered.TRACKERS[name].needs
    return needs is None or importlib.util.find_spec(needs.split(".")[0]) is not None


@pytest.mark.parametrize("name", list(delivered.TRACKERS))
def test_every_event_a_tracker_emits_is_counted_by_the_sink_and_none_in_its_baseline(
        name: str) -> None:
    if not _installed(name):
        pytest.skip(f"{name}: the bench extra is not installed")
    results = delivered.measure([name], EVENTS, rounds=1, timeout_s=120)
    [row] = delivered.summarize(results, EVENTS)
    assert row["problems"] == []
    assert row["delivered"] == [EVENTS]
    assert row["spans_delivered"] == ([EVENTS] if delivered.TRACKERS[name].spans else None)
    assert results[name][0].baseline.counts[delivered.TRACKERS[name].kind] == 0
    assert row["cpu_us_per_event"] is not None  # its sign is noise with so few events
    assert row["wall_s"] is not None
    assert row["wall_s"] > 0


def _run(events: int, logs: int, spans: int = 0) -> delivered.Run:
    counts = {"logs": logs, "spans": spans, "errors": 0, "other": 0, "requests": 1,
              "last_arrival": 1.5}
    return delivered.Run(events, cpu_s=1.0 + events / 1000, sys_s=0.1, max_rss_kib=1024,
                         exit_code=0,
                         counts=counts, report={"first_emit": 1.0})


def test_a_short_delivery_is_reported_loudly() -> None:
    one = delivered.Round(full=_run(EVENTS, logs=EVENTS - 1, spans=EVENTS - 2),
                          baseline=_run(0, logs=0))
    [row] = delivered.summarize({"pe-track": [one]}, EVENTS)
    assert row["problems"] == [f"round 1: delivered {EVENTS - 1} of {EVENTS}",
                               f"round 1: delivered {EVENTS - 2} spans of {EVENTS}"]
    assert f"**{EVENTS - 1} of {EVENTS}**" in delivered.markdown([row], EVENTS)


def test_cpu_per_event_subtracts_the_baseline_and_divides_by_what_arrived() -> None:
    one = delivered.Round(full=_run(2000, logs=1000), baseline=_run(0, logs=0))
    [row] = delivered.summarize({"pe-emit": [one]}, 2000)
    assert row["cpu_us_per_event"] == pytest.approx(2000.0)  # 2 s more, for 1000 delivered
    assert row["wall_s"] == pytest.approx(0.5)
