"""Shared helpers for the catalog command tests: run a subcommand as the CLI would."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from otel_product_events.catalog import cli as catalog_cli
from otel_product_events.testing.collector import build_collector
from tests.helpers import REPO

HERE = Path(__file__).resolve().parent
SAMPLE = HERE / "sample_project"
EXAMPLE_CATALOG = REPO / "examples" / "incident_response_plain" / "catalog.yaml"
SMALL_CATALOG = HERE / "fixtures" / "small_catalog.yaml"
COLLECTOR_CONFIG = REPO / "collector-config"


def run(*argv: str) -> tuple[int, str]:
    """Runs ``otel-product-events catalog ARGV...``; returns (exit status, standard output)."""
    parser = argparse.ArgumentParser(prog="otel-product-events")
    catalog_cli.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["catalog", *argv])
    out = io.StringIO()
    status: int = args.handler(args, out)
    return status, out.getvalue()


@pytest.fixture(scope="session")
def collector_binary() -> Path:
    """The collector binary (built once per manifest; a failed build fails the tests)."""
    return build_collector(COLLECTOR_CONFIG)
