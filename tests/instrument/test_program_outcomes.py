"""How a program ends is its outcome: an exit with status 0 is a success, any other status a
failure carrying ``process.exit.code``; Ctrl-C and cancellation stay cancelled."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import click
import pytest

import otel_product_events as pe
from otel_product_events.testing import CapturedEvents

OUTCOME_KEYS = ("product.outcome", "error.type", "process.exit.code")


def outcome(captured: CapturedEvents) -> dict[str, Any]:
    (event,) = captured.events
    return {k: event.attributes[k] for k in OUTCOME_KEYS if k in event.attributes}


def ends_with(error: BaseException) -> None:
    @pe.track("program.ran")
    def main() -> None:
        raise error

    with pytest.raises(type(error)):
        main()


@pytest.mark.parametrize("code", [None, 0], ids=["sys.exit()", "sys.exit(0)"])
def test_an_exit_with_status_zero_is_a_success(code: int | None,
                                               captured: CapturedEvents) -> None:
    ends_with(SystemExit(code))
    assert outcome(captured) == {"product.outcome": "success"}


def test_an_exit_with_a_non_zero_status_is_a_failure_with_its_exit_code(
        captured: CapturedEvents) -> None:
    ends_with(SystemExit(3))
    assert outcome(captured) == {"product.outcome": "failure", "error.type": "SystemExit",
                                 "process.exit.code": 3}


def test_an_exit_with_a_message_is_a_failure_with_status_one(captured: CapturedEvents) -> None:
    """Python prints the message and exits with 1."""
    ends_with(SystemExit("bad configuration"))
    assert outcome(captured)["process.exit.code"] == 1


def test_clicks_exit_zero_is_a_success(captured: CapturedEvents) -> None:
    """--help and --version end with click.exceptions.Exit(0), a RuntimeError."""
    ends_with(click.exceptions.Exit(0))
    assert outcome(captured) == {"product.outcome": "success"}


def test_a_click_usage_error_is_a_failure_with_its_exit_code(captured: CapturedEvents) -> None:
    ends_with(click.UsageError("no such option"))
    assert outcome(captured) == {"product.outcome": "failure",
                                 "error.type": "click.exceptions.UsageError",
                                 "process.exit.code": 2}


def test_keyboard_interrupt_stays_cancelled(captured: CapturedEvents) -> None:
    ends_with(KeyboardInterrupt())
    assert outcome(captured) == {"product.outcome": "cancelled",
                                 "error.type": "KeyboardInterrupt"}


def test_a_cancelled_task_stays_cancelled(captured: CapturedEvents) -> None:
    @pe.track("job.ran")
    async def job() -> None:
        await asyncio.sleep(10)

    async def cancel() -> None:
        task = asyncio.ensure_future(job())
        await asyncio.sleep(0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancel())
    assert outcome(captured)["product.outcome"] == "cancelled"


def test_a_click_command_run_standalone_reports_its_exit(captured: CapturedEvents) -> None:
    """A command's main() ends in SystemExit: 0 after it ran, 2 after a usage error."""
    @click.command()
    @click.option("--count", type=int, default=1)
    def hello(count: int) -> None:
        click.echo("hi" * count)

    main = pe.track("cli.ran")(hello.main)
    for args, status in ((["--count", "2"], 0), (["--count", "x"], 2), (["--help"], 0)):
        with pytest.raises(SystemExit) as exited:
            main(args, prog_name="hello")
        assert exited.value.code == status
    assert [e.attributes["product.outcome"] for e in captured] == ["success", "failure",
                                                                   "success"]
    assert captured[1].attributes["process.exit.code"] == 2


def test_a_failed_exit_marks_the_span_as_an_error(captured: CapturedEvents) -> None:
    ends_with(SystemExit(4))
    (span,) = captured.spans
    assert span.status.is_ok is False
    assert sys.exc_info() == (None, None, None)
