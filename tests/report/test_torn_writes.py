"""A collector SIGKILLed in the middle of writing a line leaves it torn, and when it starts
again it appends to that line: the requests after the tear were acknowledged and are read; only
the torn piece is skipped, and counted."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.report.test_hostile_input import NAME, count_of, event, good_line, report


@pytest.mark.parametrize("cut", [1, 17, 0.5, -2])
def test_a_request_appended_to_a_torn_line_is_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], cut: float) -> None:
    torn = good_line(event("torn.away"))
    at = int(len(torn) * cut) if isinstance(cut, float) else cut
    (tmp_path / NAME).write_text(good_line(event("before")) + "\n"
                                 + torn[:at] + good_line(event("after")) + "\n"
                                 + good_line(event("later")) + "\n")
    status, rows, err = report(tmp_path, "counts", capsys=capsys)
    assert status == 0
    assert [count_of(rows, name) for name in ("before", "after", "later", "torn.away")] == [
        1, 1, 1, 0]
    assert f"1 line skipped: torn write (first at {tmp_path / NAME}:2)" in err


def test_two_requests_run_together_are_both_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Killed between writing a request and its newline."""
    (tmp_path / NAME).write_text(good_line(event("one")) + good_line(event("two")) + "\n")
    status, rows, err = report(tmp_path, "counts", capsys=capsys)
    assert (status, count_of(rows, "one"), count_of(rows, "two")) == (0, 1, 1)
    assert "skipped" not in err


def test_a_torn_last_line_is_still_left_for_next_time(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = good_line(event("whole"))
    (tmp_path / NAME).write_text(line + "\n" + good_line(event("half"))[:40])
    status, rows, err = report(tmp_path, "counts", capsys=capsys)
    assert (status, count_of(rows, "whole")) == (0, 1)
    assert "skipped" not in err
