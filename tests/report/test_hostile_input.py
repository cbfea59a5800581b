"""Hostile data for `report`: lines that are not OTLP logs are skipped and counted, files that
are not JSON lines are named, decompression is bounded, timestamps out of range are skipped,
`--by` takes any attribute name literally. Exit 0 with rows or none, 2 for unreadable input,
never a traceback."""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import struct
from pathlib import Path
from typing import Any

import pytest
import zstandard

from otel_product_events.report import cli
from otel_product_events.report.files import MAX_LINE_BYTES
from tests.bounded import run_bounded
from tests.report.dataset import Event, _request

NAME = "product-events.jsonl"


def good_line(*events: Event) -> str:
    return json.dumps(_request(list(events)))


def event(name: str = "a.done", ts_ms: int = 1_790_000_000_000, **attributes: Any) -> Event:
    return Event(name, ts_ms, "inst-1", "1.0", attributes)


def report(data: Path, *argv: str, capsys: pytest.CaptureFixture[str]
           ) -> tuple[int, Any, str]:
    """Runs ``report ARGV --data DATA --json`` as the command line would."""
    parser = argparse.ArgumentParser(prog="otel-product-events")
    cli.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["report", *argv, "--data", str(data), "--json"])
    out = io.StringIO()
    status = args.handler(args, out)
    rows = json.loads(out.getvalue()) if status == 0 else None
    return status, rows, capsys.readouterr().err


def count_of(rows: list[dict[str, Any]], name: str) -> int:
    return next((row["count"] for row in rows if row["event_name"] == name), 0)


WRONG_SCHEMA = ['{"resourceLogs": "x"}', "null", "[1, 2]", '"text"', "42",
                '{"resourceLogs": [{"scopeLogs": "y"}]}',
                '{"resourceLogs": [{"scopeLogs": [{"scope": {"name": "otel_product_events"},'
                ' "logRecords": [5, {"eventName": 7}, {"eventName": "x", "timeUnixNano": "z"}]'
                '}]}]}']


def test_lines_that_are_not_otlp_logs_are_skipped_and_counted(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / NAME).write_text("\n".join([good_line(event()), *WRONG_SCHEMA,
                                            good_line(event())]) + "\n")
    status, rows, err = report(tmp_path, "counts", capsys=capsys)
    assert status == 0
    assert count_of(rows, "a.done") == 2
    assert f"5 lines skipped: not OTLP logs (first at {tmp_path / NAME}:2)" in err
    assert "3 records skipped: not an OTLP log record" in err
    assert "Traceback" not in err


def test_a_timestamp_out_of_range_is_skipped_and_counted(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    far = event(ts_ms=2**70)
    (tmp_path / NAME).write_text(good_line(event(), far, event(ts_ms=-5)) + "\n")
    status, rows, err = report(tmp_path, "counts", capsys=capsys)
    assert status == 0
    assert count_of(rows, "a.done") == 1
    assert "2 records skipped: timestamp out of range" in err


def test_deeply_nested_json_is_a_skipped_line(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / NAME).write_text(good_line(event()) + "\n" + "[" * 100_000 + "]" * 100_000
                                 + "\n" + good_line(event()) + "\n")
    status, rows, err = report(tmp_path, "counts", capsys=capsys)
    assert status == 0
    assert count_of(rows, "a.done") == 2
    assert "1 line skipped: not JSON" in err


def test_infinite_and_nan_doubles_are_answered(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    request = _request([event()])
    request["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["attributes"].append(
        {"key": "ratio", "value": {"doubleValue": "NaN"}})
    (tmp_path / NAME).write_text(json.dumps(request) + "\n")
    status, rows, _ = report(tmp_path, "counts", capsys=capsys)
    assert status == 0
    assert count_of(rows, "a.done") == 1


@pytest.mark.parametrize("content", [bytes(range(256)) * 40, b"\x00\x01garbage\nmore\xff\n",
                                     b"name,count\nx,1\n"], ids=["binary", "control", "csv"])
def test_a_file_that_is_not_json_lines_is_named_with_exit_2(
        tmp_path: Path, content: bytes, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / NAME).write_bytes(content)
    status, _, err = report(tmp_path, "counts", capsys=capsys)
    assert status == 2
    assert f"{tmp_path / NAME}: " in err
    assert len(err.strip().splitlines()) == 1


def test_a_file_holding_a_json_list_is_counted_not_silently_empty(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / NAME).write_text("[1, 2, 3]\n")
    status, rows, err = report(tmp_path, "counts", capsys=capsys)
    assert (status, rows) == (0, [])
    assert "1 line skipped: not OTLP logs" in err


def test_a_symbolic_link_to_a_system_file_is_refused_by_name(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / NAME).symlink_to("/etc/passwd")
    status, _, err = report(tmp_path, "counts", capsys=capsys)
    assert status == 2
    assert "a symbolic link out of the data directory" in err


def test_a_symbolic_link_inside_the_data_directory_is_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "stored.jsonl").write_text(good_line(event()) + "\n")
    (tmp_path / NAME).symlink_to(tmp_path / "stored.jsonl")
    status, rows, _ = report(tmp_path, "counts", capsys=capsys)
    assert status == 0
    assert count_of(rows, "a.done") == 1


def test_a_fifo_in_the_data_directory_is_left_alone(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    os.mkfifo(tmp_path / "product-events-fifo.jsonl")
    (tmp_path / NAME).write_text(good_line(event()) + "\n")
    process = run_bounded(MEMORY_APP, args=("report", "counts", "--data", str(tmp_path)),
                          timeout=60, memory=4 * 1024**3)
    assert process.returncode == 0, process.stderr[-2000:]
    assert "a.done" in process.stdout


def test_a_length_prefixed_batch_over_the_limit_is_skipped_and_the_rest_kept(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    compressor = zstandard.ZstdCompressor()
    bomb = compressor.compress(b" " * (MAX_LINE_BYTES + 10))  # a small frame, a huge batch
    good = compressor.compress(good_line(event()).encode())
    (tmp_path / NAME).write_bytes(b"".join(struct.pack(">I", len(blob)) + blob
                                           for blob in (good, bomb, good)))
    status, rows, err = report(tmp_path, "counts", capsys=capsys)
    assert status == 0
    assert count_of(rows, "a.done") == 1  # the same batch twice: one event
    assert "1 batch skipped: longer than 16 MiB" in err


@pytest.mark.parametrize("key", ["*", "a\\", 'say "hi"', "$.x", "a/b", "~1", "it's", "**"])
def test_funnel_by_takes_any_attribute_name_literally(
        tmp_path: Path, key: str, capsys: pytest.CaptureFixture[str]) -> None:
    steps = [event("s.one", 1_790_000_000_000, **{key: "u1", "other": "u9"}),
             event("s.two", 1_790_000_001_000, **{key: "u1", "other": "u9"}),
             event("s.one", 1_790_000_002_000, **{key: "u2"})]
    (tmp_path / NAME).write_text(good_line(*steps) + "\n")
    status, rows, err = report(tmp_path, "funnel", "s.one", "s.two", "--by", key,
                               capsys=capsys)
    assert status == 0, err
    assert [row["count"] for row in rows] == [2, 1]


def test_an_unwritable_chart_is_exit_2_not_a_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / NAME).write_text(good_line(event()) + "\n")
    status, _, err = report(tmp_path, "counts", "--html", str(tmp_path / "no" / "dir.html"),
                            capsys=capsys)
    assert status == 2
    assert "FileNotFoundError" in err


# Peak memory of the whole command, printed by the child: the bound is what we state.
MEMORY_APP = """
import resource, sys
from otel_product_events.cli import main
status = main()
print("maxrss_kb", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)
raise SystemExit(status)
"""


def test_a_gzip_bomb_of_spaces_is_read_in_bounded_memory(tmp_path: Path) -> None:
    """1 MB of gzip that holds 1 GB of spaces: one line far over the limit, skipped."""
    compressed = gzip.compress(b" " * (1024 * 1024 * 1024), compresslevel=9)
    (tmp_path / (NAME + ".gz")).write_bytes(compressed)
    # A loose address-space cap (DuckDB reserves virtual memory per core); the resident peak
    # is what is asserted.
    process = run_bounded(MEMORY_APP, args=("report", "counts", "--data", str(tmp_path)),
                          timeout=300, memory=4 * 1024**3)
    assert process.returncode == 0, process.stderr[-2000:]
    assert "1 line skipped: longer than 16 MiB" in process.stderr
    maxrss_mb = int(process.stderr.split("maxrss_kb")[1].split()[0]) / 1024
    assert maxrss_mb < 400, maxrss_mb
