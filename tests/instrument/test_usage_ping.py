"""Usage ping: periodic aggregated counts as OTel metrics, reported at most once per interval."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from opentelemetry.metrics import CallbackOptions

import otel_product_events as pe
from otel_product_events.instrument.usage_ping import UsagePing

OPTIONS = CallbackOptions()


def points(ping: UsagePing) -> list[tuple[Any, dict[str, Any]]]:
    return [(o.value, dict(o.attributes or {})) for o in ping.observe(OPTIONS)]


def test_a_mapping_becomes_one_point_per_key_tagged_with_the_installation() -> None:
    ping = UsagePing("rows", lambda: {"incidents": 12, "playbooks": 3}, interval_s=60)
    reported = points(ping)
    assert [(value, attrs["product.usage.key"]) for value, attrs in reported] == [
        (12, "incidents"), (3, "playbooks")]
    assert all(attrs["app.installation.id"] for _, attrs in reported)


def test_a_number_is_one_point() -> None:
    assert [value for value, _ in points(UsagePing("open", lambda: 7, interval_s=60))] == [7]


def test_reports_at_most_once_per_interval() -> None:
    """The metric reader may call more often; the ping answers once per interval."""
    calls: list[int] = []
    ping = UsagePing("open", lambda: calls.append(1) or len(calls), interval_s=3600)
    assert points(ping) != []
    assert points(ping) == []
    assert calls == [1]


def test_a_failing_callback_reports_nothing_and_never_raises(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken() -> int:
        raise RuntimeError("db down")

    with caplog.at_level(logging.WARNING, logger="otel_product_events"):
        assert points(UsagePing("open", broken, interval_s=60)) == []
    assert "usage ping 'open': its callback raised RuntimeError" in caplog.text
    assert pe.stats()["usage_ping_errors"] == 1


def test_non_numbers_are_skipped() -> None:
    ping = UsagePing("rows", lambda: {"ok": 1, "bad": "x", "flag": True}, interval_s=60)
    assert [attrs["product.usage.key"] for _, attrs in points(ping)] == ["ok"]


def test_opt_out_and_stop_report_nothing() -> None:
    ping = UsagePing("open", lambda: 1, interval_s=0.000001)
    pe.set_enabled(False)
    assert points(ping) == []
    pe.set_enabled(True)
    ping.stop()
    assert points(ping) == []


def test_wrong_arguments_are_loud() -> None:
    with pytest.raises(TypeError):
        pe.usage_ping("", lambda: 1)
    with pytest.raises(TypeError):
        pe.usage_ping("x", 3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="interval"):
        pe.usage_ping("x", lambda: 1, interval=0)
