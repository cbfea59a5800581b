"""``otel-product-events report``: counts, funnel, orphans, health, trends, active
installations, retention and a dashboard page over stored events."""

from __future__ import annotations

import argparse
import contextlib
import difflib
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from . import activity, charts, filters, queries

DEFAULT_DATA_DIR = "./product-events-data"


def add_parser(subcommands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Registers ``report``, its questions and its dashboard on the main command line."""
    report = subcommands.add_parser(
        "report", help="answer questions from the stored product events",
        description="Counts, funnels, orphaned runs, version health, trends, active "
                    "installations, retention and a dashboard page over the events the "
                    "collector stored (its JSON-lines files; rotated and compressed ones too). "
                    "All times are UTC.")
    questions = report.add_subparsers(dest="question", required=True, metavar="QUESTION")

    def question(name: str, help_text: str) -> argparse.ArgumentParser:
        parser = questions.add_parser(name, help=help_text, description=help_text)
        _add_data_and_filters(parser)
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
    _add_activity_questions(question)
    dashboard = questions.add_parser(
        "dashboard", help="every answer on one self-contained HTML page",
        description="Trends, active installations, retention, a funnel, version health and "
                    "orphaned runs on one HTML page that needs no network (inline SVG).")
    _add_data_and_filters(dashboard)
    dashboard.add_argument("-o", "--output", type=Path, default=Path("dashboard.html"),
                           metavar="FILE", help="where to write it (default dashboard.html)")
    dashboard.add_argument("--funnel", nargs="+", default=[], metavar="STEP",
                           help="event names of a funnel to show, in order")
    dashboard.add_argument("--funnel-by", default=activity.INSTALLATION, metavar="ATTRIBUTE",
                           help="the funnel's entity (default app.installation.id)")
    dashboard.add_argument("--funnel-window", default="1d", metavar="DURATION",
                           help="every funnel step within this of the first (default 1d)")
    dashboard.add_argument("--every", choices=list(activity.PERIODS), default="day",
                           help="the trends chart's period (default day)")
    dashboard.add_argument("--title", default="Product events", help="the page's title")
    report.set_defaults(handler=run_guarded)


def _add_data_and_filters(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default=DEFAULT_DATA_DIR, type=Path, metavar="DIR",
                        help=f"the collector's data directory (default {DEFAULT_DATA_DIR})")
    parser.add_argument("--since", metavar="TIME",
                        help="only events from then on: 2026-09-21, 2026-09-21T10:00 or 7d "
                             "(back from now); UTC")
    parser.add_argument("--until", metavar="TIME",
                        help="only events before then (a date includes that whole UTC day)")
    parser.add_argument("--version", action="append", default=[], dest="versions",
                        metavar="VERSION", help="only this service.version (repeatable)")
    parser.add_argument("--where", action="append", default=[], metavar="KEY=VALUE",
                        help="only events whose attribute or resource attribute KEY is "
                             "exactly VALUE (repeatable: all must match)")


def _add_activity_questions(question: Any) -> None:
    trends = question("trends", "events per UTC hour, day or week and event name")
    trends.add_argument("--every", choices=list(activity.PERIODS), default="day",
                        help="period (default day; weeks start on Monday)")
    trends.add_argument("--by", metavar="ATTRIBUTE", help="also per value of this attribute")
    trends.add_argument("--top", type=int, default=0, metavar="N",
                        help="only the N event names with the most events")
    active = question("active", "distinct installations (or --by) per UTC day, over 7 and 28 "
                                "days, and stickiness")
    active.add_argument("--by", default=activity.INSTALLATION, metavar="ATTRIBUTE",
                        help="count these instead (e.g. a hashed user.id)")
    retention = question("retention", "cohorts by the period of first appearance and the "
                                      "share seen again in each later period")
    retention.add_argument("--every", choices=list(activity.PERIODS), default="week",
                           help="period (default week, from Monday 00:00 UTC)")
    retention.add_argument("--by", default=activity.INSTALLATION, metavar="ATTRIBUTE",
                           help="the entity (default app.installation.id)")
    retention.add_argument("--returning", metavar="EVENT",
                           help="count a return only when this event is seen")


def _filtered(args: argparse.Namespace, dialect: queries.Dialect) -> queries.Dialect:
    return filters.from_options(args.since, args.until, args.versions, args.where).apply(dialect)


def _sql(args: argparse.Namespace, dialect: queries.Dialect) -> str:
    if args.question == "trends":
        return activity.trends_sql(dialect, args.every, args.by)
    if args.question == "active":
        return activity.active_sql(dialect, args.by)
    if args.question == "retention":
        return activity.retention_sql(dialect, args.every, args.by, args.returning)
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

    dialect = _filtered(args, queries.DUCKDB)
    connection = store.load(args.data)
    _warn_of_unseen_names(args, connection)
    if args.question in {"trends", "active", "retention"}:
        return _activity(args, connection, dialect)
    if args.question == "counts":
        return queries.run_counts(connection, args.by, dialect=dialect)
    if args.question == "funnel":
        return queries.run_funnel(connection, args.steps, args.by,
                                  queries.parse_duration_ms(args.window), dialect=dialect)
    min_age = queries.parse_duration_ms(args.min_age)
    if args.question == "orphans":
        rows = queries.run_orphans(connection, min_age, dialect=dialect)
        for row in rows:
            row["started_at"] = _iso(row.pop("started_ms"))
        return rows
    rows = queries.run_health(connection, min_age, dialect=dialect)
    for row in rows:
        row["first_seen"] = _iso(row.pop("first_seen_ms"))
    return rows


def _warn_of_unseen_names(args: argparse.Namespace, connection: Any) -> None:
    """A funnel step or ``--returning`` event that never occurs is most often a typo; the
    answer (zero) is still right, so this only warns, with the nearest names seen."""
    steps: list[str] = getattr(args, "steps", None) or []
    returning: str | None = getattr(args, "returning", None)
    asked = [*steps, *([returning] if returning else [])]
    if not asked:
        return
    seen = {row[0] for row in connection.execute(
        "SELECT DISTINCT event_name FROM events").fetchall()}
    for name in dict.fromkeys(asked):
        if name in seen:
            continue
        near = difflib.get_close_matches(name, sorted(seen), n=3)
        hint = f" (did you mean {', '.join(near)}?)" if near else ""
        print(f"otel-product-events report: no event named {name!r} in the data{hint}",
              file=sys.stderr)


def _activity(args: argparse.Namespace, connection: Any, dialect: queries.Dialect
              ) -> list[dict[str, Any]]:
    if args.question == "active":
        return activity.run_active(connection, args.by, dialect)
    if args.question == "retention":
        return activity.run_retention(connection, args.every, args.by, args.returning, dialect)
    rows = activity.run_trends(connection, args.every, args.by, dialect)
    if args.top > 0:
        totals: dict[str, int] = {}
        for row in rows:
            totals[row["event_name"]] = totals.get(row["event_name"], 0) + row["count"]
        kept = set(sorted(totals, key=lambda name: (-totals[name], name))[:args.top])
        rows = [row for row in rows if row["event_name"] in kept]
    return rows


def write_dashboard(args: argparse.Namespace, out: TextIO) -> int:
    """Handles ``report dashboard``: writes the page and prints its path."""
    from . import dashboard, store

    dialect = _filtered(args, queries.DUCKDB)
    answers = dashboard.gather(store.load(args.data), dialect, args.funnel, args.funnel_by,
                               queries.parse_duration_ms(args.funnel_window), args.every)
    chosen = [f"--{name} {value}" for name, value in (("since", args.since),
                                                        ("until", args.until)) if value]
    chosen += [f"--version {v}" for v in args.versions] + [f"--where {w}" for w in args.where]
    args.output.write_text(dashboard.render(answers, args.title, " ".join(chosen)),
                           encoding="utf-8")
    print(args.output.resolve(), file=out)
    return 0


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
        if args.question == "dashboard":
            return write_dashboard(args, out)
        if args.sql:
            dialect = (queries.clickhouse(args.clickhouse_table) if args.sql == "clickhouse"
                       else queries.DUCKDB)
            print(_sql(args, _filtered(args, dialect)), file=out)
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
    except BrokenPipeError as error:
        if out is not sys.stdout:
            return _failed(error)
        # The reader left (``report ... | head``): what it wanted, it has. Point stdout at
        # devnull so that the interpreter's final flush does not fail again at exit.
        with contextlib.suppress(OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:
        return _failed(error)


def _failed(error: Exception) -> int:
    reason = " ".join(str(error).split())[:300] or "no details"
    print(f"otel-product-events report: {type(error).__name__}: {reason}", file=sys.stderr)
    return 2
