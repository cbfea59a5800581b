"""The ``otel-product-events`` command.

A small dispatcher: each subcommand lives in the module of its concern and registers itself
with an ``add_parser(subparsers)`` function listed in :data:`SUBCOMMANDS`; its parser sets a
``handler(args) -> int`` default, the exit status.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

from otel_product_events.auto import launcher
from otel_product_events.catalog import cli as catalog_cli
from otel_product_events.report import cli as report_cli
from otel_product_events.version import __version__

#: ``add_parser`` functions, one per subcommand.
SUBCOMMANDS: tuple[Callable[[Any], None], ...] = (
    launcher.add_parser, catalog_cli.add_parser, report_cli.add_parser)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="otel-product-events",
        description="Product-analytics events on OpenTelemetry.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for add_parser in SUBCOMMANDS:
        add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the command line ``argv`` (default: ``sys.argv[1:]``); returns the exit status."""
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
