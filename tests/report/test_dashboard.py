"""The dashboard page opened in real headless Chromium: no console messages, every chart drawn,
and the numbers on the page equal the ``--json`` reports'."""

from __future__ import annotations

import argparse
import io
import json
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from otel_product_events.report import cli, dashboard
from tests.report import activity_data, browser, dataset

pytest.importorskip("duckdb")

CHARTS = {"trends", "active", "stickiness", "retention", "funnel", "health", "orphans",
          "counts"}


@pytest.fixture(scope="module")
def chromium() -> str:
    path = browser.find()
    if path is None:
        pytest.skip("no chromium, and tests/report/install-chromium.sh could not install it "
                    "(needs root and apt-get)")
    return path


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="otel-product-events")
    cli.add_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["report", *argv])


def run(*argv: str) -> str:
    out = io.StringIO()
    assert cli.run(parse(*argv), out) == 0
    return out.getvalue()


def json_rows(data: Path, *argv: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(run(*argv, "--data", str(data), "--json"))
    return rows


class Tables(HTMLParser):
    """The page's tables: report -> rows of {column: JSON value}; and the header's facts."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[dict[str, Any]]] = {}
        self.facts: dict[str, str] = {}
        self.texts: list[tuple[Any, str]] = []  # (JSON value, text shown) of every cell
        self._report: str | None = None
        self._fact: str | None = None
        self._cell: Any = None
        self._in_cell = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and found.get("data-report"):
            self._report = found["data-report"]
            self.tables[self._report] = []
        elif tag == "tr" and self._report is not None:
            self.tables[self._report].append({})
        elif tag == "td" and self._report is not None:
            self._cell = json.loads(found["data-value"] or "null")
            self.tables[self._report][-1][found["data-key"] or ""] = self._cell
            self._in_cell = True
            self.texts.append((self._cell, ""))
        elif tag == "dd":
            self._fact = found.get("data-fact")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._report = None
        if tag == "dd":
            self._fact = None
        if tag == "td":
            self._in_cell = False

    def handle_data(self, data: str) -> None:
        if self._in_cell:
            value, text = self.texts[-1]
            self.texts[-1] = (value, text + data)
        if self._fact:
            self.facts[self._fact] = data

    @classmethod
    def of(cls, dom: str) -> Tables:
        parser = cls()
        parser.feed(dom)
        for rows in parser.tables.values():
            if rows and not rows[0]:
                rows.pop(0)  # the header row
        return parser


def write_dashboard(data: Path, out: Path, *extra: str) -> Path:
    page = out / "dashboard.html"
    assert run("dashboard", "--data", str(data), "-o", str(page), *extra).strip() == str(
        page.resolve())
    return page


def measured(dom: str) -> list[dict[str, Any]]:
    match = re.search(r'<pre id="measured">(.*?)</pre>', dom, re.DOTALL)
    assert match, "the measuring script did not run"
    charts: list[dict[str, Any]] = json.loads(match.group(1))
    return charts


@pytest.fixture(scope="module")
def rich(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("rich")
    dataset.write(activity_data.generate() + dataset.generate(), data)
    return data


FUNNEL = ["--funnel", *dataset.FUNNEL, "--funnel-by", "user.id"]


def test_every_chart_is_drawn_without_console_messages(chromium: str, rich: Path,
                                                        tmp_path: Path) -> None:
    page = write_dashboard(rich, tmp_path, *FUNNEL)
    shown = browser.render(chromium, page, measure=True)
    assert shown.console == []
    charts = measured(shown.dom)
    assert {c["chart"] for c in charts} == CHARTS
    for chart in charts:
        assert chart["width"] > 100, chart
        assert chart["height"] > 50, chart
        assert chart["marks"] > 3, chart


def test_the_numbers_shown_equal_the_json_reports(chromium: str, rich: Path,
                                                  tmp_path: Path) -> None:
    page = write_dashboard(rich, tmp_path, *FUNNEL)
    tables = Tables.of(browser.render(chromium, page).dom)
    for report, argv in {"active": ["active"], "retention": ["retention"],
                         "health": ["health"], "orphans": ["orphans"],
                         "funnel": ["funnel", *dataset.FUNNEL, "--by", "user.id"]}.items():
        expected = json_rows(rich, *argv)
        assert tables.tables[report] == expected[:dashboard.MAX_ROWS], report
    counts = json_rows(rich, "counts")
    assert tables.tables["counts"] == sorted(counts, key=lambda r: (-r["count"],
                                                                    r["event_name"]))
    top = {r["event_name"] for r in json_rows(rich, "trends", "--top",
                                              str(dashboard.TOP_TRENDS))}
    assert tables.tables["trends"] == [r for r in json_rows(rich, "trends")
                                       if r["event_name"] in top][:dashboard.MAX_ROWS]
    assert tables.facts["Events"] == f"{sum(r['count'] for r in counts):,}"


def test_the_text_in_each_cell_reads_as_its_value(chromium: str, rich: Path,
                                                  tmp_path: Path) -> None:
    """Counts with thousands separators, shares and rates as percentages, text as is."""
    page = write_dashboard(rich, tmp_path, *FUNNEL)
    texts = Tables.of(browser.render(chromium, page).dom).texts
    assert len(texts) > 500
    for value, text in texts:
        if isinstance(value, (bool, str)):
            assert text == str(value)
        elif isinstance(value, int):
            assert int(text.replace(",", "")) == value
        else:
            assert abs(float(text.rstrip("%")) / 100 - value) < 0.00051, (value, text)


def test_filters_reach_the_page(chromium: str, rich: Path, tmp_path: Path) -> None:
    page = write_dashboard(rich, tmp_path, "--version", "1.1.0", "--since", "2026-09-20")
    tables = Tables.of(browser.render(chromium, page).dom)
    assert tables.tables["active"] == json_rows(rich, "active", "--version", "1.1.0",
                                                "--since", "2026-09-20")
    assert tables.facts["Filters"] == "--since 2026-09-20 --version 1.1.0"


def test_no_events_still_draws_every_chart(chromium: str, tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    page = write_dashboard(tmp_path / "data", tmp_path)
    shown = browser.render(chromium, page, measure=True)
    assert shown.console == []
    assert {c["chart"] for c in measured(shown.dom)} == CHARTS
    assert all(c["marks"] > 0 for c in measured(shown.dom))
    assert Tables.of(shown.dom).facts["Events"] == "0"


def test_one_event_draws_every_chart(chromium: str, tmp_path: Path) -> None:
    dataset.write([dataset.Event("app.opened", 1_790_000_000_000, "i", "1.0.0")],
                  tmp_path / "data")
    page = write_dashboard(tmp_path / "data", tmp_path)
    shown = browser.render(chromium, page, measure=True)
    assert shown.console == []
    assert all(c["marks"] > 0 for c in measured(shown.dom))
    assert Tables.of(shown.dom).tables["active"] == [
        {"day": "2026-09-21", "active": 1, "active_7d": 1, "active_28d": 1, "stickiness": 1.0}]


def test_ten_thousand_event_names_are_capped_and_said_so(chromium: str,
                                                          tmp_path: Path) -> None:
    events = [dataset.Event(f"feature.{n:05d}.used", 1_790_000_000_000 + n * 60_000,
                            f"i{n % 50}", "1.0.0") for n in range(10_000)]
    events += [dataset.Event("app.opened", 1_790_000_000_000 + n * 3_600_000, "i1", "1.0.0")
               for n in range(30)]
    dataset.write(events, tmp_path / "data")
    page = write_dashboard(tmp_path / "data", tmp_path)
    shown = browser.render(chromium, page, measure=True)
    assert shown.console == []
    assert all(c["marks"] > 0 for c in measured(shown.dom))
    assert "top 8 of 10,001 event names" in shown.dom
    assert "top 25 of 10,001 event names" in shown.dom
    assert len(Tables.of(shown.dom).tables["counts"]) == dashboard.TOP_COUNTS
    assert page.stat().st_size < 2_000_000


def test_the_page_loads_nothing_from_anywhere(rich: Path, tmp_path: Path) -> None:
    text = write_dashboard(rich, tmp_path, *FUNNEL).read_text()
    assert not re.search(r"<script|<link|<img|<iframe|\bsrc=|\bhref=|url\(|@import", text)


def test_the_console_check_sees_script_errors(chromium: str, tmp_path: Path) -> None:
    page = tmp_path / "broken.html"
    page.write_text("<!doctype html><body><script>undefinedThing();</script></body>")
    assert "undefinedThing is not defined" in " ".join(browser.render(chromium, page).console)


def test_the_screenshot_shows_charts_not_a_blank_page(chromium: str, rich: Path,
                                                       tmp_path: Path) -> None:
    """Kept as an artifact in $PE_TEST_ARTIFACTS (CI uploads it) when that is set."""
    from PIL import Image

    page = write_dashboard(rich, tmp_path, *FUNNEL)
    folder = Path(os.environ.get("PE_TEST_ARTIFACTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    png = folder / "dashboard.png"
    browser.screenshot(chromium, page, png)
    with Image.open(png) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 50  # charts, not a blank page


def test_trends_per_hour_equal_the_json_report(chromium: str, rich: Path, tmp_path: Path) -> None:
    page = write_dashboard(rich, tmp_path, "--every", "hour")
    tables = Tables.of(browser.render(chromium, page).dom)
    top = {r["event_name"] for r in json_rows(rich, "trends", "--every", "hour", "--top",
                                              str(dashboard.TOP_TRENDS))}
    assert tables.tables["trends"] == [r for r in json_rows(rich, "trends", "--every", "hour")
                                       if r["event_name"] in top][:dashboard.MAX_ROWS]
