"""Charts of report answers: a self-contained HTML page (inline SVG, no dependencies) or a PNG
(matplotlib). Funnels are bars with conversion labels; counts per day are bars per day."""

from __future__ import annotations

import html
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

Bar = tuple[str, float, str]  # label, value, annotation

_WIDTH, _BAR, _GAP, _LEFT = 720, 26, 10, 230


def bars_for(kind: str, rows: Sequence[dict[str, Any]]) -> tuple[str, list[Bar]]:
    """The chart title and bars for the rows of one report kind."""
    if kind == "funnel":
        return "Funnel", [(r["step"], r["count"], str(r["count"]) if r["position"] == 1 else
                           f"{r['count']} ({r['conversion']:.0%} of previous, "
                           f"{r['conversion_from_first']:.0%} of first)") for r in rows]
    if kind == "counts" and rows and "day" in rows[0]:
        per_day: dict[str, int] = defaultdict(int)
        for row in rows:
            per_day[row["day"]] += row["count"]
        return "Events per day", [(day, n, str(n)) for day, n in sorted(per_day.items())]
    if kind == "counts":
        return "Events", [(r["event_name"], r["count"], str(r["count"])) for r in rows]
    if kind == "trends":
        per_period: dict[str, int] = defaultdict(int)
        for row in rows:
            per_period[row["period"]] += row["count"]
        return "Events per period (UTC)", [(p, n, str(n)) for p, n in sorted(per_period.items())]
    if kind == "active":
        return "Active per UTC day", [
            (r["day"], r["active"], f"{r['active']} (7 days {r['active_7d']}, 28 days "
                                    f"{r['active_28d']})") for r in rows]
    if kind == "retention":
        return "Retention (share of the cohort seen again)", [
            (f"{r['cohort'][:16]} +{r['period']}", r["share"],
             f"{r['returned']}/{r['size']} ({r['share']:.0%})") for r in rows]
    if kind == "health":
        return "Failure and orphan rate per version", [
            (f"{r['service_version']}{' (flagged)' if r['flagged'] else ''}",
             r["failure_rate"] + r["orphan_rate"],
             f"failures {r['failure_rate']:.0%}, orphans {r['orphan_rate']:.0%}") for r in rows]
    per_version: dict[str, int] = defaultdict(int)
    for row in rows:
        per_version[row["service_version"] or "(none)"] += 1
    return "Orphaned runs per version", [(v, n, str(n)) for v, n in sorted(per_version.items())]


def svg(title: str, bars: Sequence[Bar]) -> str:
    """A horizontal bar chart as an SVG element."""
    top = max((value for _, value, _ in bars), default=0) or 1
    height = 50 + len(bars) * (_BAR + _GAP)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{height}" '
             f'font-family="sans-serif" font-size="13">',
             f'<text x="10" y="24" font-size="16" font-weight="bold">{html.escape(title)}</text>']
    for index, (label, value, note) in enumerate(bars):
        y = 40 + index * (_BAR + _GAP)
        width = max(1.0, (_WIDTH - _LEFT - 170) * value / top)
        parts += [
            f'<text x="{_LEFT - 8}" y="{y + 18}" text-anchor="end">{html.escape(label)}</text>',
            f'<rect x="{_LEFT}" y="{y}" width="{width:.1f}" height="{_BAR}" fill="#4c78a8">'
            f"<title>{html.escape(label)}: {html.escape(note)}</title></rect>",
            f'<text x="{_LEFT + width + 6:.1f}" y="{y + 18}">{html.escape(note)}</text>']
    parts.append("</svg>")
    return "\n".join(parts)


def write_html(path: Path, title: str, bars: Sequence[Bar], table: str) -> None:
    path.write_text(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title></head><body>\n{svg(title, bars)}\n"
        f"<pre>{html.escape(table)}</pre>\n</body></html>\n", encoding="utf-8")


def write_png(path: Path, title: str, bars: Sequence[Bar]) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    from matplotlib import pyplot

    figure, axes = pyplot.subplots(figsize=(9, 1.2 + 0.45 * max(1, len(bars))))
    labels = [label for label, _, _ in bars][::-1]
    values = [value for _, value, _ in bars][::-1]
    drawn = axes.barh(labels, values, color="#4c78a8")
    axes.bar_label(drawn, labels=[note for _, _, note in bars][::-1], padding=4)
    axes.set_title(title)
    axes.spines[["top", "right"]].set_visible(False)
    axes.margins(x=0.35)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    pyplot.close(figure)
