"""Reliability tests run against the real collector too (fixtures from tests/e2e)."""

from tests.e2e.conftest import collector, collector_binary  # noqa: F401
