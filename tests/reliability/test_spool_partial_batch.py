"""A batch is sent as several requests when it is large (bounded by bytes): when only some of
them fail, only their records go to the spool, and the books still balance."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from otel_product_events.pipeline.spool import Spool
from tests.helpers import last_json_line, run_python


class _FirstRequestOnly(http.server.BaseHTTPRequestHandler):
    """Accepts the first OTLP/HTTP request and answers every later one with a 500 (a failure
    the exporter does not retry, and not a refusal that would make us split the request)."""

    accepted = 0
    lock = threading.Lock()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with self.lock:
            first = type(self).accepted == 0
            type(self).accepted += 1
        self.send_response(200 if first else 500)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def first_request_only() -> Iterator[str]:
    _FirstRequestOnly.accepted = 0
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _FirstRequestOnly)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


PARTIAL = """
import json, sys
import otel_product_events as pe
pe.configure(endpoint=sys.argv[1], protocol="http/protobuf")
for i in range(1500):
    pe.emit("big.event", {"i": i, "text": "x" * 4000})  # ~6 MB: at least two requests
pe.flush(10)
print(json.dumps(pe.stats()), flush=True)
"""


def test_only_the_records_of_the_failed_request_are_spooled(
        first_request_only: str, tmp_path: Path) -> None:
    process = run_python(PARTIAL, {"OTEL_PRODUCT_EVENTS_STATE_DIR": str(tmp_path),
                                   "OTEL_BLRP_SCHEDULE_DELAY": "60000"},
                         args=[first_request_only])
    stats = last_json_line(process)
    exported = stats.get("log_records_exported", 0)
    spooled = stats.get("log_records_spooled", 0)
    assert exported > 0, stats
    assert spooled > 0, stats
    assert exported + spooled == 1500, stats
    assert "log_records_export_failed" not in stats, stats
    spool = Spool(tmp_path / "spool", 1 << 30, 86400)
    on_disk = sum(spool.read(path).records for path in spool.files())
    assert on_disk == spooled
