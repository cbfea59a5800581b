"""The report command line: tables, JSON rows, SQL for ClickHouse, charts, clear errors."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from otel_product_events.report import cli
from tests.report import dataset


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="otel-product-events")
    cli.add_parser(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(["report", *argv])


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("data")
    dataset.write(dataset.generate(), path)
    return path


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    return cli.run(parse(*argv), out), out.getvalue()


def test_json_rows_have_the_documented_keys(data_dir: Path) -> None:
    """counts: event_name, count (+ groups); funnel: step, count, conversion; orphans:
    run_id, event_name."""
    status, text = run("counts", "--data", str(data_dir), "--by", "day", "--json")
    assert status == 0
    assert {"event_name", "count", "installations", "day"} <= set(json.loads(text)[0])
    _, text = run("funnel", *dataset.FUNNEL, "--data", str(data_dir), "--json")
    rows = json.loads(text)
    assert [r["step"] for r in rows] == dataset.FUNNEL
    assert rows[0]["conversion"] == 1.0
    _, text = run("orphans", "--data", str(data_dir), "--json")
    assert {"run_id", "event_name", "service_version", "started_at"} == set(json.loads(text)[0])


def test_table_output_is_aligned(data_dir: Path) -> None:
    status, text = run("health", "--data", str(data_dir))
    lines = text.splitlines()
    assert status == 0
    assert lines[0].split()[:2] == ["service_version", "outcomes"]
    assert "True" in lines[-1]


def test_sql_for_clickhouse_needs_no_data(tmp_path: Path) -> None:
    status, text = run("funnel", "a", "b", "--window", "2h", "--sql", "clickhouse",
                       "--clickhouse-table", "analytics.events", "--data", str(tmp_path / "x"))
    assert status == 0
    assert "FROM analytics.events" in text
    assert "windowFunnel(7200000000000, 'strict_increase')" in text


def test_charts_are_written(data_dir: Path, tmp_path: Path) -> None:
    png, html = tmp_path / "funnel.png", tmp_path / "funnel.html"
    status, _ = run("funnel", *dataset.FUNNEL, "--data", str(data_dir), "--png", str(png),
                    "--html", str(html))
    assert status == 0
    assert png.read_bytes().startswith(b"\x89PNG")
    assert "<svg" in html.read_text()
    assert "incident.created" in html.read_text()


def test_daily_chart(data_dir: Path, tmp_path: Path) -> None:
    html = tmp_path / "daily.html"
    run("counts", "--by", "day", "--data", str(data_dir), "--html", str(html))
    assert "Events per day" in html.read_text()


@pytest.mark.parametrize("argv", [("counts", "--data", "/nonexistent/dir"),
                                  ("funnel", "a", "b", "--window", "soon", "--data", "/tmp")])
def test_mistakes_exit_2_with_a_message(argv: tuple[str, ...],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    status, _ = run(*argv)
    assert status == 2
    assert "otel-product-events report:" in capsys.readouterr().err
