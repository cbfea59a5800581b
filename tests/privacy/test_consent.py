"""Opt-out: DO_NOT_TRACK, OTEL_PRODUCT_EVENTS_ENABLED, OTEL_SDK_DISABLED and set_enabled()."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import otel_product_events as pe
from otel_product_events.testing import CapturedEvents
from tests.conftest import SilentCollector
from tests.helpers import last_json_line, run_python

# Configures export to a listening socket, calls a tracked function and emit(), and reports
# what happened: events/spans seen in-process, threads, the state dir, and pe.is_enabled().
APP = """
import json, os, sys, threading
import otel_product_events as pe
from otel_product_events.testing import capture_events

setup = pe.configure(service_name="opt-out-app", endpoint=sys.argv[1])

@pe.track("order.placed", attributes={"order.id": "order_id"})
def place(order_id):
    return order_id

with capture_events() as captured:
    assert place("o-1") == "o-1"
    pe.emit("manual.event")
pe.flush(2)
print(json.dumps({
    "enabled": pe.is_enabled(),
    "setup_enabled": setup.enabled,
    "events": captured.names(),
    "spans": len(captured.spans),
    "otel_threads": sorted(t.name for t in threading.enumerate() if "Otel" in t.name),
    "state_written": os.path.exists(os.environ["OTEL_PRODUCT_EVENTS_STATE_DIR"]),
}))
"""


@pytest.mark.parametrize(
    "opt_out",
    [{"DO_NOT_TRACK": "1"}, {"OTEL_PRODUCT_EVENTS_ENABLED": "false"},
     {"OTEL_SDK_DISABLED": "true"}],
    ids=lambda env: next(iter(env)),
)
def test_opt_out_variable_switches_everything_off(
    opt_out: dict[str, str], tmp_path: Path, silent_collector: SilentCollector
) -> None:
    """No span, no event, no export thread, no network connection, no state file."""
    endpoint, received = silent_collector.url, silent_collector.received
    state = tmp_path / "state"
    report = last_json_line(run_python(
        APP, {**opt_out, "OTEL_PRODUCT_EVENTS_STATE_DIR": str(state)}, args=[endpoint]))
    assert report == {"enabled": False, "setup_enabled": False, "events": [], "spans": 0,
                      "otel_threads": [], "state_written": False}
    assert received == []


def test_without_opt_out_the_same_app_tracks_and_connects(
    tmp_path: Path, silent_collector: SilentCollector
) -> None:
    """The control: with no opt-out the same program emits, spans, and reaches the endpoint."""
    endpoint, received = silent_collector.url, silent_collector.received
    report = last_json_line(run_python(
        APP, {"OTEL_PRODUCT_EVENTS_STATE_DIR": str(tmp_path / "state")}, args=[endpoint]))
    assert report["enabled"] is True
    assert report["events"] == ["order.placed", "manual.event"]
    assert report["spans"] == 1
    assert report["state_written"] is True
    assert any(b"POST /v1/" in data for data in received)


def test_do_not_track_zero_does_not_opt_out(tmp_path: Path) -> None:
    """DO_NOT_TRACK=0 means "tracking allowed"."""
    code = "import otel_product_events as pe; print('{\"on\": %s}' % str(pe.is_enabled()).lower())"
    assert last_json_line(run_python(code, {"DO_NOT_TRACK": "0"})) == {"on": True}


def test_a_garbled_value_warns_and_keeps_the_default(tmp_path: Path) -> None:
    """An operator typo warns on stderr and leaves tracking on; the app starts."""
    code = "import otel_product_events as pe; print('{\"on\": %s}' % str(pe.is_enabled()).lower())"
    process = run_python(code, {"OTEL_PRODUCT_EVENTS_ENABLED": "flase"})
    assert last_json_line(process) == {"on": True}
    assert "OTEL_PRODUCT_EVENTS_ENABLED='flase' is not a boolean" in process.stderr


class TestSetEnabled:
    def test_switching_off_at_run_time_stops_events_at_once(
        self, captured: CapturedEvents
    ) -> None:
        """set_enabled(False) takes effect on the next call; True brings events back."""

        @pe.track("op.done")
        def op() -> int:
            return 1

        op()
        pe.set_enabled(False)
        assert op() == 1
        pe.emit("manual")
        assert not pe.is_enabled()
        pe.set_enabled(True)
        op()
        assert captured.names() == ["op.done", "op.done"]
        assert len(captured.spans) == 2

    def test_toggling_from_many_threads_is_safe(self, captured: CapturedEvents) -> None:
        """Threads emitting while another toggles never crash, and the final state holds."""

        def emit_many() -> None:
            for _ in range(500):
                pe.emit("tick")

        def toggle() -> None:
            for i in range(500):
                pe.set_enabled(i % 2 == 0)

        threads = [threading.Thread(target=emit_many) for _ in range(4)]
        threads.append(threading.Thread(target=toggle))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        pe.set_enabled(False)
        count = len(captured)
        pe.emit("after")
        assert len(captured) == count <= 2000

    def test_only_booleans_are_accepted(self) -> None:
        with pytest.raises(TypeError):
            pe.set_enabled("no")  # type: ignore[arg-type]
