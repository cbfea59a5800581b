"""The Kafka tier run for real (issue #15), marked `scale`.

They need Java and Maven (the broker's jars come from Maven Central) and take ~2 min on 2
cores, the same on every Python version, so they run once, in `make test-scale`
(``OTEL_PRODUCT_EVENTS_SCALE_TESTS=1`` or ``-m scale``), and are skipped by a plain `pytest`.
"""

from __future__ import annotations

import os

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    wanted = bool(os.environ.get("OTEL_PRODUCT_EVENTS_SCALE_TESTS")) or "scale" in str(
        config.getoption("markexpr", "") or "").replace("not scale", "")
    for item in items:
        if "tests/scale/" in item.nodeid:
            item.add_marker(pytest.mark.scale)
            item.add_marker(pytest.mark.collector)
            if not wanted:
                item.add_marker(pytest.mark.skip(
                    reason="Kafka tier: run with `make test-scale` (needs Java and Maven)"))
