"""Fixtures for end-to-end tests against the real collector built from collector-config/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from otel_product_events.testing.collector import RunningCollector, build_collector, run_collector
from tests.helpers import REPO

CONFIG_DIR = REPO / "collector-config"
BASE_CONFIG = CONFIG_DIR / "product-events.yaml"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in item.nodeid:
            item.add_marker(pytest.mark.collector)


@pytest.fixture(scope="session")
def collector_binary() -> Path:
    """The collector binary (built once per manifest; a failed build fails the tests)."""
    return build_collector(CONFIG_DIR)


@pytest.fixture
def collector(collector_binary: Path, tmp_path: Path) -> Iterator[RunningCollector]:
    """A collector with the base config, on free ports, storing under tmp_path/data."""
    with run_collector(collector_binary, [BASE_CONFIG], data_dir=tmp_path / "data") as running:
        yield running
