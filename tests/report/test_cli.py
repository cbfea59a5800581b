"""The report command line: tables, JSON rows, SQL for ClickHouse, charts, clear errors."""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
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
                                  ("dashboard", "--data", "/nonexistent/dir"),
                                  ("funnel", "a", "b", "--window", "soon", "--data", "/tmp")])
def test_mistakes_exit_2_with_a_message(argv: tuple[str, ...],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    status, _ = run(*argv)
    assert status == 2
    assert "otel-product-events report:" in capsys.readouterr().err


@pytest.mark.parametrize(("argv", "keys"), [
    (("trends",), ["period", "event_name", "count"]),
    (("trends", "--every", "week", "--by", "user.id"), ["period", "event_name", "user.id",
                                                        "count"]),
    (("active",), ["day", "active", "active_7d", "active_28d", "stickiness"]),
    (("retention", "--returning", "incident.finished"),
     ["cohort", "size", "period", "returned", "share"])])
def test_new_reports_json_rows_have_the_documented_keys(
        data_dir: Path, argv: tuple[str, ...], keys: list[str]) -> None:
    status, text = run(*argv, "--data", str(data_dir), "--json")
    assert status == 0
    assert list(json.loads(text)[0]) == keys


@pytest.mark.parametrize("question", [("trends", "--by", "plan"), ("active",),
                                      ("retention", "--returning", "x")])
def test_new_reports_print_clickhouse_sql_with_the_filters(question: tuple[str, ...]) -> None:
    status, text = run(*question, "--sql", "clickhouse", "--version", "1.1.0",
                       "--where", "plan=pro", "--since", "2026-09-01")
    assert status == 0
    assert "ResourceAttributes['service.version'] IN ('1.1.0')" in text
    assert "LogAttributes['plan'] = 'pro'" in text
    assert "toUnixTimestamp64Nano(Timestamp) >= 1788220800000000000" in text


def test_old_reports_take_the_filters(data_dir: Path) -> None:
    _, everything = run("counts", "--data", str(data_dir), "--json")
    _, one = run("counts", "--data", str(data_dir), "--json", "--version", "1.0.0")
    assert 0 < sum(r["count"] for r in json.loads(one)) < sum(
        r["count"] for r in json.loads(everything))


def test_trends_top_keeps_the_most_frequent_names(data_dir: Path) -> None:
    _, text = run("trends", "--data", str(data_dir), "--json", "--top", "1")
    assert {r["event_name"] for r in json.loads(text)} == {"pipeline.run.started"}


@pytest.mark.parametrize("argv", [("trends", "--where", "novalue"),
                                  ("active", "--since", "last tuesday")])
def test_bad_filters_exit_2_with_a_message(data_dir: Path, argv: tuple[str, ...],
                                           capsys: pytest.CaptureFixture[str]) -> None:
    status, _ = run(*argv, "--data", str(data_dir))
    assert status == 2
    assert "otel-product-events report:" in capsys.readouterr().err


def test_new_reports_draw_charts(data_dir: Path, tmp_path: Path) -> None:
    for question in ("trends", "active", "retention"):
        png, page = tmp_path / f"{question}.png", tmp_path / f"{question}.html"
        status, _ = run(question, "--data", str(data_dir), "--png", str(png), "--html",
                        str(page))
        assert status == 0
        assert png.read_bytes().startswith(b"\x89PNG")
        assert "<rect" in page.read_text()


def test_a_reader_that_leaves_early_ends_the_report_quietly(data_dir: Path) -> None:
    """``report ... | head``: no traceback, no error line, exit 0, when the pipe closes."""
    command = [sys.executable, "-m", "otel_product_events.cli", "report", "counts",
               "--data", str(data_dir), "--by", "installation"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None
    assert process.stderr is not None
    process.stdout.close()  # the reader is gone before the report writes a line
    errors = process.stderr.read().decode()
    assert process.wait(timeout=60) == 0, errors
    assert errors == ""


def test_a_funnel_step_never_seen_is_named_with_the_nearest_names(
        data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    misspelt = dataset.FUNNEL[1][:-1] + "x"
    status, _ = run("funnel", dataset.FUNNEL[0], misspelt, "--data", str(data_dir))
    assert status == 0
    warning = capsys.readouterr().err
    assert f"no event named {misspelt!r} in the data" in warning
    assert f"did you mean {dataset.FUNNEL[1]}" in warning
    assert repr(dataset.FUNNEL[0]) not in warning


def test_a_directory_without_event_files_is_pointed_out(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.jsonl").write_text("not events\n")
    status, text = run("counts", "--data", str(tmp_path))
    assert (status, text.strip()) == (0, "(no rows)")
    assert "no event files (product-events*) in" in capsys.readouterr().err
