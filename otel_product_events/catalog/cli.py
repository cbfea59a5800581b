"""``otel-product-events catalog``: the event catalog as a published page, a CI check of the
code against it, and a collector allow-list.

Exit statuses: 0 done (``check``: nothing missing), 1 ``check`` found something missing from
the catalog, 2 usage errors (an invalid catalog, a path that does not exist, an unwritable
output file).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from otel_product_events.catalog.model import Catalog, CatalogError, load_catalog

USAGE_ERROR = 2


def add_parser(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Registers ``catalog`` and its subcommands ``docs``, ``check`` and ``collector``."""
    catalog = subcommands.add_parser(
        "catalog", help="publish, check and enforce the event catalog",
        description="Tools for the event catalog (the YAML file declaring every product event "
                    "and attribute).")
    commands = catalog.add_subparsers(dest="catalog_command", required=True, metavar="COMMAND")

    docs = commands.add_parser(
        "docs", help="write the 'What we collect' page (Markdown)",
        description="Writes a Markdown page for the people whose usage is measured: how to "
                    "opt out, the metadata of every event, then each event and its attributes.")
    docs.add_argument("catalog", metavar="CATALOG", help="the catalog YAML file")
    docs.add_argument("--output", "-o", type=Path, metavar="FILE",
                      help="write to FILE instead of standard output")
    docs.set_defaults(handler=run_docs)

    check = commands.add_parser(
        "check", help="check the sources against the catalog (for CI)",
        description="Reads the Python sources and .env files under PATH (never importing "
                    "them) for track/track_lifecycle/emit calls and OTEL_PRODUCT_EVENTS_TRACK "
                    "targets, and checks the catalog's function targets. Exits 1 when an "
                    "event or attribute is missing from the catalog or a target is wrong.")
    check.add_argument("catalog", metavar="CATALOG", help="the catalog YAML file")
    check.add_argument("paths", nargs="+", metavar="PATH", help="files or directories to scan")
    check.add_argument("--json", action="store_true", help="print the findings as JSON")
    check.add_argument("--allow-unparsable", action="store_true",
                       help="a source file that cannot be parsed (e.g. newer syntax) is a "
                            "warning, not an error")
    check.set_defaults(handler=run_check)

    collector = commands.add_parser(
        "collector", help="write a collector config overlay enforcing the catalog",
        description="Writes a config to merge after collector-config/product-events.yaml: "
                    "product events the catalog does not declare are dropped, and each event "
                    "keeps only its declared attributes and the library's metadata.")
    collector.add_argument("catalog", metavar="CATALOG", help="the catalog YAML file")
    collector.add_argument("--output", "-o", type=Path, metavar="FILE",
                           help="write to FILE instead of standard output")
    collector.add_argument("--batch", action="store_true",
                           help="add batch/file to logs/product: fewer, larger lines, but a "
                                "killed collector loses the records it holds")
    # The default since the file sink acknowledges after the write; kept for old scripts.
    collector.add_argument("--no-batch", dest="batch", action="store_false",
                           help=argparse.SUPPRESS)
    collector.set_defaults(handler=run_collector)


def _fail(message: object) -> int:
    print(f"otel-product-events catalog: {message}", file=sys.stderr)
    return USAGE_ERROR


def _with_catalog(args: argparse.Namespace, then: Callable[[Catalog], int]) -> int:
    try:
        catalog = load_catalog(args.catalog)
    except CatalogError as error:
        return _fail(error)
    return then(catalog)


def _write(text: str, output: Path | None, out: TextIO) -> int:
    if output is None:
        out.write(text)
        return 0
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        return _fail(f"cannot write {output}: {error.strerror or error}")
    return 0


def run_docs(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """Handles ``catalog docs``."""
    from otel_product_events.catalog.docs import render_docs

    return _with_catalog(args, lambda catalog: _write(render_docs(catalog), args.output, out))


def run_collector(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """Handles ``catalog collector``."""
    from otel_product_events.catalog.collector import collector_overlay

    return _with_catalog(args, lambda catalog: _write(
        collector_overlay(catalog, batch=args.batch), args.output, out))


def run_check(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """Handles ``catalog check``; the exit status is the report's."""
    from otel_product_events.catalog.check import check

    def report(catalog: Catalog) -> int:
        try:
            result = check(catalog, args.paths, allow_unparsable=args.allow_unparsable)
        except FileNotFoundError as error:
            return _fail(error)
        text = json.dumps(result.as_json(), indent=2) if args.json else result.text()
        print(text, file=out)
        return result.exit_status

    return _with_catalog(args, report)
