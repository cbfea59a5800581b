"""Line charts and heat maps as inline SVG text: no scripts, no fonts or styles to download.

Every mark carries a ``<title>`` (the browser shows it as a tooltip) with its exact numbers,
and an empty chart still draws its frame and says there is nothing to show.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

PALETTE = ["#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#eeca3b",
           "#9d755d", "#ff9da6", "#bab0ac"]
Series = tuple[str, Sequence[float]]


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def _frame(width: int, height: int, title: str, kind: str) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="{_esc(kind)}" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            'font-family="sans-serif" font-size="12" role="img">',
            f"<title>{_esc(title)}</title>",
            f'<text x="8" y="18" font-size="15" font-weight="bold">{_esc(title)}</text>']


def empty(title: str, message: str, kind: str = "empty", width: int = 900) -> str:
    """A chart with nothing to draw: its title and why."""
    parts = _frame(width, 70, title, kind)
    parts.append(f'<text x="8" y="50" fill="#666">{_esc(message)}</text></svg>')
    return "\n".join(parts)


def line_chart(title: str, labels: Sequence[str], series: Sequence[Series], *,
               kind: str = "line", width: int = 900, height: int = 300,
               percent: bool = False) -> str:
    """One line per series over the x ``labels`` (periods), a legend, y grid lines."""
    if not labels or not series:
        return empty(title, "No events in this range.", kind, width)
    left, right, top, bottom = 56, 190, 34, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    peak, ticks = _nice(max((v for _, values in series for v in values), default=0), percent)
    step = plot_w / max(1, len(labels) - 1)

    def x(i: int) -> float:
        return left + (i * step if len(labels) > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h - plot_h * v / peak

    def shown(v: float) -> str:
        return f"{v:.0%}" if percent else _number(v)

    parts = _frame(width, height, title, kind)
    for tick in range(ticks + 1):  # grid lines with their values
        value = peak * tick / ticks
        parts.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y(value):.1f}" '
                     f'y2="{y(value):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" '
                     f'fill="#555">{shown(value)}</text>')
    every = max(1, len(labels) // 8)
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(f'<text x="{x(i):.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
                         f'fill="#555">{_esc(label)}</text>')
    for n, (name, values) in enumerate(series):
        color = PALETTE[n % len(PALETTE)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" '
                     f'points="{points}"><title>{_esc(name)}</title></polyline>')
        for i, v in enumerate(values):
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{color}">'
                         f"<title>{_esc(name)}, {_esc(labels[i])}: {shown(v)}</title></circle>")
        ly = top + 4 + n * 18
        parts.append(f'<rect x="{width - right + 14}" y="{ly}" width="12" height="12" '
                     f'fill="{color}"/><text x="{width - right + 32}" y="{ly + 11}">'
                     f"{_esc(_clip(name, 24))}<title>{_esc(name)}</title></text>")
    parts.append("</svg>")
    return "\n".join(parts)


def heatmap(title: str, rows: Sequence[str], columns: Sequence[str],
            cells: dict[tuple[int, int], tuple[float, str]], *, kind: str = "heatmap",
            width: int = 900) -> str:
    """A grid of shares (0..1) with a label and a tooltip per cell; missing cells stay blank
    (the retention triangle's lower right)."""
    if not rows:
        return empty(title, "No cohorts in this range.", kind, width)
    left, top, cell_h = 190, 52, 24
    cell_w = min(70.0, (width - left - 10) / max(1, len(columns)))
    height = top + cell_h * len(rows) + 10
    parts = _frame(width, height, title, kind)
    for c, column in enumerate(columns):
        parts.append(f'<text x="{left + c * cell_w + cell_w / 2:.1f}" y="{top - 8}" '
                     f'text-anchor="middle" fill="#555">{_esc(column)}</text>')
    for r, row in enumerate(rows):
        ry = top + r * cell_h
        parts.append(f'<text x="{left - 8}" y="{ry + 16}" text-anchor="end">{_esc(row)}</text>')
        for c in range(len(columns)):
            if (r, c) not in cells:
                continue
            share, tooltip = cells[(r, c)]
            shade = int(235 - 170 * max(0.0, min(1.0, share)))
            ink = "#fff" if share > 0.55 else "#222"
            cx = left + c * cell_w
            parts.append(f'<rect x="{cx:.1f}" y="{ry}" width="{cell_w - 2:.1f}" '
                         f'height="{cell_h - 2}" fill="rgb({shade},{shade + 10},255)">'
                         f"<title>{_esc(tooltip)}</title></rect>")
            parts.append(f'<text x="{cx + cell_w / 2 - 1:.1f}" y="{ry + 16}" '
                         f'text-anchor="middle" fill="{ink}" pointer-events="none">'
                         f"{share:.0%}</text>")
    parts.append("</svg>")
    return "\n".join(parts)


def _nice(peak: float, percent: bool) -> tuple[float, int]:
    """The top of the y axis and its number of steps, so that ticks are round numbers (and
    whole ones for counts)."""
    if percent:
        return 1.0, 4
    if peak <= 4:
        return 4.0, 4
    scale = 10.0 ** math.floor(math.log10(peak))
    top, steps = next((m * scale, n) for m, n in ((1, 5), (2, 4), (2.5, 5), (4, 4), (5, 5),
                                                  (10, 5)) if m * scale >= peak)
    return top, steps


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[:size - 1] + "…"
