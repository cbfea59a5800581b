"""A signal handler that emits (an "app.stopped" on SIGTERM) while the main thread is in the
middle of an emit: no deadlock, and every event is exported or counted."""

from __future__ import annotations

from tests.bounded import run_bounded
from tests.helpers import last_json_line

# A real signal handler (SIGALRM every 0.2 ms) emitting three events each time, while the
# main thread emits in a loop through the real batch pipeline.
APP = """
import json, signal, sys, time
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter
import otel_product_events as pe

exporter = InMemoryLogRecordExporter()
pe.configure(log_exporter=exporter, service_name="signals")
handled = 0

def handler(signum, frame):
    global handled
    handled += 1
    for _ in range(3):
        pe.emit("app.signalled", {"n": handled})

signal.signal(signal.SIGALRM, handler)
signal.setitimer(signal.ITIMER_REAL, 0.0002, 0.0002)
start, emitted = time.monotonic(), 0
while time.monotonic() - start < 3 or handled < 1000:
    pe.emit("app.working", {"i": emitted})
    pe.stats()  # takes the export counters' lock outside any emit
    emitted += 1
signal.setitimer(signal.ITIMER_REAL, 0, 0)
pe.shutdown(timeout=60)
names = [r.log_record.event_name for r in exporter.get_finished_logs()]
print(json.dumps({"emitted": emitted, "handled": handled, "stats": pe.stats(),
                  "signalled": names.count("app.signalled"),
                  "working": names.count("app.working")}))
"""


def test_a_signal_handler_emitting_during_emit_never_deadlocks(tmp_path: object) -> None:
    report = last_json_line(run_bounded(APP, {"OTEL_PRODUCT_EVENTS_STATE_DIR": str(tmp_path)},
                                        timeout=180))
    stats = report["stats"]
    exported = report["working"] + report["signalled"]
    lost = (stats.get("events_dropped_reentrant", 0)  # more than 1,024 waiting
            + stats.get("log_records_dropped_queue_full", 0)  # a starved exporter, under load
            + stats.get("log_records_queued", 0))  # not exported when shutdown gave up
    assert exported + lost == report["emitted"] + 3 * report["handled"]
    assert report["signalled"] > 0


# The package imports its public names on first use: here a signal handler emits while that
# first use (pe.track) is importing them. Its emits wait for the import, then go out.
FIRST_USE = """
import json, signal, sys
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter
from otel_product_events.pipeline.providers import configure  # (no public name used yet)
import otel_product_events as pe

exporter = InMemoryLogRecordExporter()
configure(log_exporter=exporter)
handled = during_first_use = 0

def handler(signum, frame):
    global handled, during_first_use
    handled += 1
    during_first_use += "track" not in vars(pe)
    pe.emit("app.signalled")

signal.signal(signal.SIGALRM, handler)
signal.setitimer(signal.ITIMER_REAL, 0.0001, 0.0001)
pe.track  # the first use: imports every public name
signal.setitimer(signal.ITIMER_REAL, 0, 0)
pe.flush(10)
names = [r.log_record.event_name for r in exporter.get_finished_logs()]
print(json.dumps({"handled": handled, "during_first_use": during_first_use,
                  "signalled": names.count("app.signalled")}))
"""


def test_a_signal_handler_emitting_during_the_first_use_waits_for_the_import(
    tmp_path: object
) -> None:
    report = last_json_line(run_bounded(FIRST_USE, {"OTEL_PRODUCT_EVENTS_STATE_DIR":
                                                    str(tmp_path)}))
    assert report["during_first_use"] > 0  # (else the test proves nothing)
    assert report["signalled"] == report["handled"]


FLUSH_DURING_FIRST_USE = """
import json, signal
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter
from otel_product_events.pipeline.providers import configure  # (no public name used yet)
import otel_product_events as pe

configure(log_exporter=InMemoryLogRecordExporter())
flushed, started = [], []

def handler(signum, frame):
    if "track" not in vars(pe) and not started:  # once, inside the first use
        started.append(True)
        flushed.append(pe.flush(0.01))

signal.signal(signal.SIGALRM, handler)
signal.setitimer(signal.ITIMER_REAL, 0.0001, 0.0001)
pe.track  # the first use: imports every public name
signal.setitimer(signal.ITIMER_REAL, 0, 0)
print(json.dumps({"flushed": flushed}))
"""


def test_a_signal_handler_flushing_during_the_first_use_gets_flush(tmp_path: object) -> None:
    """A SIGTERM-style handler calling pe.flush() while the first use imports the public
    names: flush is loaded already (configure ran), so it is handed over, not an error."""
    report = last_json_line(run_bounded(FLUSH_DURING_FIRST_USE, {
        "OTEL_PRODUCT_EVENTS_STATE_DIR": str(tmp_path)}))
    assert report["flushed"] == [True]
