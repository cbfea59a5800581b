"""``otel-product-events report``: counts, funnel, orphans and health over stored events."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from . import charts, queries

DEFAULT_DATA_DIR = "./product-events-data"


def add_parser(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Registers ``report`` and its four questions on the main command line."""
    report = subcommands.add_parser(
        "report", help="answer questions from the stored product events",
        description="Counts, funnels, orphaned runs and version health over the events the "
                    "collector stored (its JSON-lines files; rotated and compressed ones too).")
    questions = report.add_subparsers(dest="question", required=True, metavar="QUESTION")

    def question(name: str, help_text: str) -> argparse.ArgumentParser:
        parser = questions.add_parser(name, help=help_text, description=help_text)
        parser.add_argument("--data", default=DEFAULT_DATA_DIR, type=Path, metavar="DIR",
                            help=f"the collector's data directory (default {DEFAULT_DATA_DIR})")
        parser.add_argument("--json", action="store_true", help="print a JSON list of rows")
        parser.add_argument("--png", type=Path, metavar="FILE", help="also draw a PNG chart")
        parser.add_argument("--html", type=Path, metavar="FILE", help="also write an HTML chart")
        parser.add_argument("--sql", choices=["clickhouse", "duckdb"],
                            help="print the query for that engine instead of running it")
        parser.add_argument("--clickhouse-table", default="product_events.product_events",
                            metavar="DB.TABLE", help="the ClickHouse exporter's logs table")
        return parser

    counts = question("counts", "events per name (per day, version, installation), with "
                                "distinct installations")
    counts.add_argument("--by", action="append", default=[], choices=sorted(queries.COUNT_GROUPS),
                        help="also group by this (repeatable)")
    funnel = question("funnel", "how many entities went through the steps in order")
    funnel.add_argument("steps", nargs="+", metavar="STEP", help="event names, in order")
    funnel.add_argument("--by", default="app.installation.id", metavar="ATTRIBUTE",
                        help="the entity (default app.installation.id; e.g. a hashed user.id)")
    funnel.add_argument("--window", default="1d",
                        help="every step within this of the first (30m, 2h, 1d; default 1d)")
    for parser, help_text in ((question("orphans", "runs that started and never completed"),
                               "skip runs started less than this before the newest event"),
                              (question("health", "failure and orphan rate per service version"),
                               "same, for counting orphans")):
        parser.add_argument("--min-age", default="0s", metavar="DURATION", help=help_text)
    report.set_defaults(handler=run_guarded)


def _sql(args: argparse.Namespace, dialect: queries.Dialect) -> str:
    if args.question == "counts":
        return queries.counts_sql(dialect, args.by)
    if args.question == "funnel":
        return queries.funnel_sql(dialect, args.steps, args.by,
                                  queries.parse_duration_ms(args.window))
    if args.question == "orphans":
        return queries.orphans_sql(dialect, queries.parse_duration_ms(args.min_age))
    return queries.health_sql(dialect, queries.parse_duration_ms(args.min_age))


def answer(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Runs the question on the data directory and returns its rows."""
    from . import store

    connection = store.load(args.data)
    if args.question == "counts":
        return queries.run_counts(connection, args.by)
    if args.question == "funnel":
        return queries.run_funnel(connection, args.steps, args.by,
                                  queries.parse_duration_ms(args.window))
    min_age = queries.parse_duration_ms(args.min_age)
    if args.question == "orphans":
        rows = queries.run_orphans(connection, min_age)
        for row in rows:
            row["started_at"] = _iso(row.pop("started_ms"))
        return rows
    rows = queries.run_health(connection, min_age)
    for row in rows:
        row["first_seen"] = _iso(row.pop("first_seen_ms"))
    return rows


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat(timespec="seconds")


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    """Rows as an aligned text table."""
    if not rows:
        return "(no rows)"
    columns = list(rows[0])
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [max(len(column), *(len(row[i]) for row in cells))
              for i, column in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def run(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """Handles ``report``; returns the exit status."""
    try:
        if args.sql:
            dialect = (queries.clickhouse(args.clickhouse_table) if args.sql == "clickhouse"
                       else queries.DUCKDB)
            print(_sql(args, dialect), file=out)
            return 0
        rows = answer(args)
    except (ValueError, FileNotFoundError) as error:
        print(f"otel-product-events report: {error}", file=sys.stderr)
        return 2
    except ImportError as error:
        print(f"otel-product-events report needs the report extra: pip install "
              f"'otel-product-events[report]' ({error})", file=sys.stderr)
        return 2
    table = format_table(rows)
    print(json.dumps(rows, indent=2, default=str) if args.json else table, file=out)
    if args.png or args.html:
        title, bars = charts.bars_for(args.question, rows)
        if args.png:
            charts.write_png(args.png, title, bars)
        if args.html:
            charts.write_html(args.html, title, bars, table)
    return 0


def run_guarded(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """:func:`run`, with whatever goes wrong (unreadable input, an unwritable chart file, a
    query the data cannot answer) one line on standard error and exit status 2, never a
    traceback."""
    try:
        return run(args, out)
    except Exception as error:
        reason = " ".join(str(error).split())[:300] or "no details"
        print(f"otel-product-events report: {type(error).__name__}: {reason}", file=sys.stderr)
        return 2
