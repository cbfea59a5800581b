"""``report dashboard``: every answer on one self-contained HTML page.

Inline SVG charts and inline CSS, no scripts: the file opens offline, from a mail attachment
or a CI artifact. Each chart's numbers are in its tooltips and in a table below it; each table
cell holds the exact JSON value in ``data-value``, the same rows ``--json`` prints. Many event
names are capped to the top N by count, and the page says so.
"""

from __future__ import annotations

import html
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from . import activity, charts, queries, svg

if TYPE_CHECKING:
    import duckdb

TOP_TRENDS = 8  # lines in the trends chart
TOP_COUNTS = 25  # rows in the events table
MAX_ROWS = 200  # rows in any other table


@dataclass
class Answers:
    """What the page shows, as the rows the ``--json`` reports print."""

    bounds: dict[str, Any]
    counts: list[dict[str, Any]]
    trends: list[dict[str, Any]]
    active: list[dict[str, Any]]
    retention: list[dict[str, Any]]
    health: list[dict[str, Any]]
    orphans: list[dict[str, Any]]
    funnel: list[dict[str, Any]] = field(default_factory=list)
    funnel_by: str = ""
    every: str = "day"


def gather(connection: duckdb.DuckDBPyConnection, dialect: queries.Dialect = queries.DUCKDB,
           funnel: Sequence[str] = (), funnel_by: str = activity.INSTALLATION,
           funnel_window_ms: int = 86_400_000, every: str = "day",
           retention_every: str = "week") -> Answers:
    """Runs every report on ``connection`` (through ``dialect``'s filters)."""
    orphans = queries.run_orphans(connection, dialect=dialect)
    for row in orphans:
        row["started_at"] = _iso_seconds(row.pop("started_ms"))
    health = queries.run_health(connection, dialect=dialect)
    for row in health:
        row["first_seen"] = _iso_seconds(row.pop("first_seen_ms"))
    return Answers(
        bounds=activity.run_bounds(connection, dialect),
        counts=queries.run_counts(connection, dialect=dialect),
        trends=activity.run_trends(connection, every, dialect=dialect),
        active=activity.run_active(connection, dialect=dialect),
        retention=activity.run_retention(connection, retention_every, dialect=dialect),
        health=health, orphans=orphans,
        funnel=(queries.run_funnel(connection, funnel, funnel_by, funnel_window_ms,
                                   dialect=dialect) if len(funnel) >= 2 else []),
        funnel_by=funnel_by, every=every)


def _iso_seconds(ms: int) -> str:  # as the CLI's JSON rows print times
    return datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat(timespec="seconds")


def _utc(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(int(ms) / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _shown(key: str, value: Any) -> str:
    if isinstance(value, float):
        if key in {"share", "stickiness"} or "rate" in key or "conversion" in key:
            return f"{value:.1%}"
        return f"{value:,.4g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def table(report: str, rows: Sequence[dict[str, Any]], limit: int = MAX_ROWS,
          note: str = "") -> str:
    """The rows as an HTML table; each cell's exact JSON value in ``data-value``."""
    if not rows:
        return f'<p class="none" data-report="{_esc(report)}">No rows.</p>'
    columns = list(rows[0])
    shown = rows[:limit]
    more = (f" Showing {len(shown):,} of {len(rows):,} rows; "
            f"<code>report {_esc(report)} --json</code> prints all." if len(rows) > limit
            else "")
    head = "".join(f"<th>{_esc(c)}</th>" for c in columns)
    body = "\n".join(
        "<tr>" + "".join(
            f'<td data-key="{_esc(c)}" data-value="{_esc(json.dumps(row.get(c)))}">'
            f"{_esc(_shown(c, row.get(c)))}</td>" for c in columns) + "</tr>"
        for row in shown)
    summary = f"Table: {len(rows):,} rows" + (f" ({note})" if note else "")
    return (f"<details><summary>{summary}</summary><p class=\"note\">{more}</p>"
            f'<table data-report="{_esc(report)}"><thead><tr>{head}</tr></thead>'
            f"<tbody>\n{body}\n</tbody></table></details>")


def _top_names(counts: Sequence[dict[str, Any]], n: int) -> list[str]:
    ranked = sorted(counts, key=lambda r: (-int(r["count"]), str(r["event_name"])))
    return [str(r["event_name"]) for r in ranked[:n]]


def trends_section(answers: Answers, top: int = TOP_TRENDS) -> str:
    names = _top_names(answers.counts, top)
    periods = sorted({row["period"] for row in answers.trends})
    per_name: dict[str, dict[str, int]] = defaultdict(dict)
    other: dict[str, int] = defaultdict(int)
    for row in answers.trends:
        if row["event_name"] in names:
            per_name[row["event_name"]][row["period"]] = row["count"]
        else:
            other[row["period"]] += row["count"]
    series: list[svg.Series] = [(name, [per_name[name].get(p, 0) for p in periods])
                                for name in names]
    rest = len(answers.counts) - len(names)
    if rest:
        series.append((f"other ({rest:,} names)", [other.get(p, 0) for p in periods]))
    capped = (f"top {len(names)} of {len(answers.counts):,} event names by count; "
              "the rest summed as other") if rest else f"{len(names)} event names"
    labels = [p[:10] if answers.every != "hour" else p[5:16].replace("T", " ")
              for p in periods]
    chart = svg.line_chart(f"Events per {answers.every} (UTC)", labels, series, kind="trends")
    rows = [row for row in answers.trends if row["event_name"] in names]
    return _section("trends", "Trends", f"Events per UTC {answers.every} and name: {capped}.",
                    chart,
                    table("trends", rows, note=f"top {len(names)} names" if rest else ""))


def active_section(answers: Answers) -> str:
    rows = answers.active
    labels = [r["day"] for r in rows]
    chart = svg.line_chart("Active installations (UTC days)", labels, [
        ("daily", [r["active"] for r in rows]), ("7 days", [r["active_7d"] for r in rows]),
        ("28 days", [r["active_28d"] for r in rows])], kind="active") if rows else svg.empty(
        "Active installations", "No events in this range.", "active")
    sticky = svg.line_chart("Stickiness (daily / 28 days)", labels,
                            [("stickiness", [r["stickiness"] for r in rows])],
                            kind="stickiness", height=200, percent=True)
    return _section("active", "Active installations",
                    "Distinct installations seen each UTC day, and over the 7 and 28 days "
                    "ending that day (DAU/WAU/MAU-style); stickiness is daily / 28-day.",
                    chart + sticky, table("active", rows))


def retention_section(answers: Answers) -> str:
    rows = answers.retention
    cohorts = sorted({r["cohort"] for r in rows})
    periods = max((r["period"] for r in rows), default=-1) + 1
    sizes = {r["cohort"]: r["size"] for r in rows}
    cells = {(cohorts.index(r["cohort"]), r["period"]): (
        r["share"], f"cohort {r['cohort'][:10]} ({r['size']:,}), week {r['period']}: "
                    f"{r['returned']:,} returned ({r['share']:.1%})") for r in rows}
    chart = svg.heatmap("Retention by weekly cohort (UTC weeks from Monday)",
                        [f"{c[:10]} ({sizes[c]:,})" for c in cohorts],
                        [f"week {k}" for k in range(periods)], cells, kind="retention")
    return _section("retention", "Retention",
                    "Installations by the week they first appeared, and the share seen again "
                    "in each later week.", chart, table("retention", rows))


def funnel_section(answers: Answers) -> str:
    if not answers.funnel:
        chart = svg.empty("Funnel", "Give --funnel STEP STEP ... to draw a funnel.", "funnel")
    else:
        chart = charts.svg(*charts.bars_for("funnel", answers.funnel)).replace(
            "<svg ", '<svg class="chart" data-chart="funnel" ', 1)
    by = f" per {_esc(answers.funnel_by)}" if answers.funnel else ""
    return _section("funnel", "Funnel", f"Entities{by} going through the steps in order.",
                    chart, table("funnel", answers.funnel))


def health_section(answers: Answers) -> str:
    if answers.health:
        chart = charts.svg(*charts.bars_for("health", answers.health)).replace(
            "<svg ", '<svg class="chart" data-chart="health" ', 1)
    else:
        chart = svg.empty("Version health", "No events in this range.", "health")
    return _section("health", "Version health",
                    "Failure and orphan rates per service version, in order of first "
                    "appearance; flagged when clearly worse than the previous version.",
                    chart, table("health", answers.health))


def orphans_section(answers: Answers) -> str:
    if answers.orphans:
        chart = charts.svg(*charts.bars_for("orphans", answers.orphans)).replace(
            "<svg ", '<svg class="chart" data-chart="orphans" ', 1)
    else:
        chart = svg.empty("Orphaned runs per version", "No orphaned runs.", "orphans")
    return _section("orphans", "Orphaned runs",
                    "Runs that started and never completed (the process died).", chart,
                    table("orphans", answers.orphans))


def counts_section(answers: Answers, top: int = TOP_COUNTS) -> str:
    ranked = sorted(answers.counts, key=lambda r: (-int(r["count"]), str(r["event_name"])))
    note = (f"top {top} of {len(ranked):,} event names" if len(ranked) > top else "")
    if ranked:
        chart = charts.svg(f"Events per name ({note or 'all names'})", [
            (str(r["event_name"]), r["count"], f"{r['count']:,} ({r['installations']:,} "
             "installations)") for r in ranked[:top]]).replace(
            "<svg ", '<svg class="chart" data-chart="counts" ', 1)
    else:
        chart = svg.empty("Events per name", "No events in this range.", "counts")
    return _section("counts", "Events", "Events per name, with distinct installations.",
                    chart, table("counts", ranked, limit=top, note=note))


def _section(key: str, title: str, text: str, chart: str, rows: str) -> str:
    return (f'<section id="{key}"><h2>{_esc(title)}</h2><p>{text}</p>\n'
            f'<div class="charts">{chart}</div>\n{rows}</section>')


_STYLE = """
body { font-family: sans-serif; margin: 24px auto; max-width: 960px; color: #222; }
header { border-bottom: 1px solid #ccc; margin-bottom: 8px; }
header dl { display: flex; flex-wrap: wrap; gap: 4px 28px; margin: 8px 0 14px; }
header dt { color: #666; font-size: 12px; } header dd { margin: 0; font-size: 18px; }
section { margin: 26px 0; } h2 { margin-bottom: 4px; } p { margin: 4px 0 8px; }
svg.chart { overflow: visible; display: block; margin: 8px 0; max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 12px; margin-top: 6px; }
th, td { border-bottom: 1px solid #eee; padding: 2px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; } .note, .none { color: #666; }
summary { cursor: pointer; color: #345; }
"""


def render(answers: Answers, title: str = "Product events", filters: str = "") -> str:
    """The page."""
    bounds = answers.bounds
    events, names = int(bounds["events"] or 0), int(bounds["event_names"] or 0)
    facts = [("Data from", _utc(bounds["first_ms"]) if events else "no events"),
             ("to", _utc(bounds["last_ms"]) if events else "-"),
             ("Events", f"{events:,}"), ("Event names", f"{names:,}"),
             ("Installations", f"{int(bounds['installations'] or 0):,}"),
             ("All times", "UTC")]
    if filters:
        facts.append(("Filters", filters))
    header = "".join(f"<div><dt>{_esc(k)}</dt><dd data-fact=\"{_esc(k)}\">{_esc(v)}</dd></div>"
                     for k, v in facts)
    sections = [trends_section(answers), active_section(answers), retention_section(answers),
                funnel_section(answers), health_section(answers), orphans_section(answers),
                counts_section(answers)]
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{_esc(title)}</title><style>{_STYLE}</style></head><body>\n"
            f"<header><h1>{_esc(title)}</h1><dl>{header}</dl></header>\n"
            + "\n".join(sections) + "\n</body></html>\n")
