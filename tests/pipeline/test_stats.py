"""pe.stats(): every record handed to the pipeline is exported, failed, dropped or queued."""

from __future__ import annotations

from tests.helpers import last_json_line, run_python

APP = """
import json, threading
import otel_product_events as pe
from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult

release = threading.Event()

class SlowThenFailing(LogRecordExporter):
    calls = 0
    def export(self, batch):
        release.wait()
        SlowThenFailing.calls += 1
        return (LogRecordExportResult.SUCCESS if SlowThenFailing.calls % 2
                else LogRecordExportResult.FAILURE)
    def shutdown(self): pass
    def force_flush(self, timeout_millis=0): return True

pe.configure(log_exporter=SlowThenFailing())
for i in range(100):
    pe.emit("tick", {"i": i})
queued = pe.stats()
release.set()
pe.flush(10)
print(json.dumps({"while_blocked": queued, "after": pe.stats()}))
"""


def test_drops_failures_and_exports_add_up_to_what_was_emitted() -> None:
    """A queue of 16 and an exporter stuck, then failing every other batch: the counters
    account for all 100 events exactly."""
    report = last_json_line(run_python(APP, {"OTEL_BLRP_MAX_QUEUE_SIZE": "16",
                                             "OTEL_BLRP_MAX_EXPORT_BATCH_SIZE": "8",
                                             "OTEL_TRACES_EXPORTER": "none"}))
    after = {k: v for k, v in report["after"].items() if k.startswith("log_records")}
    assert after["log_records_dropped_queue_full"] > 0
    assert after["log_records_export_failed"] > 0
    assert "log_records_queued" not in after
    assert sum(after.values()) == 100
    assert report["while_blocked"]["log_records_queued"] <= 16 + 8
