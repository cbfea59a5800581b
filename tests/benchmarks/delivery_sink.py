"""A local endpoint for every tracker the delivered-cost benchmark runs, counting what arrived.

    python tests/benchmarks/delivery_sink.py     (prints {"port": N}; stops when stdin closes)

It runs in its own process, so that decoding and counting cost the trackers nothing, and
answers 200 to every request. It understands each tracker's wire format and counts events:

- ``/v1/logs`` and ``/v1/traces``: OTLP/HTTP protobuf, decoded with opentelemetry-proto
  (``logs`` counts log records, ``spans`` spans; ``/v1/metrics`` is answered, not counted);
- ``/v1/batch``: Segment's JSON ``{"batch": [...]}``;
- ``/batch/``: PostHog's JSON ``{"batch": [...]}``;
- ``/com.snowplowanalytics.snowplow/tp2``: Snowplow's payload ``{"data": [...]}``.

Any body may be gzip- or deflate-encoded. A body that does not decode is counted in ``errors``,
an unknown path in ``other``. ``POST /reset`` zeroes the counts; ``GET /counts`` reads them,
with the wall-clock time (``time.time()``) of the last request that carried events.
:class:`Sink` starts this in a subprocess and talks to it.
"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import threading
import time
import urllib.request
import zlib
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

KINDS = ("logs", "spans", "segment", "posthog", "snowplow", "metrics_requests", "requests",
         "other", "errors")


def _otlp_logs(body: bytes) -> int:
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

    request = ExportLogsServiceRequest.FromString(body)
    return sum(len(scope.log_records) for resource in request.resource_logs
               for scope in resource.scope_logs)


def _otlp_spans(body: bytes) -> int:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    request = ExportTraceServiceRequest.FromString(body)
    return sum(len(scope.spans) for resource in request.resource_spans
               for scope in resource.scope_spans)


def _json_list(key: str) -> Callable[[bytes], int]:
    def count(body: bytes) -> int:
        return len(json.loads(body)[key])

    return count


#: path -> (counter, how to count the events in a body)
ROUTES: dict[str, tuple[str, Callable[[bytes], int]]] = {
    "/v1/logs": ("logs", _otlp_logs),
    "/v1/traces": ("spans", _otlp_spans),
    "/v1/batch": ("segment", _json_list("batch")),
    "/batch/": ("posthog", _json_list("batch")),
    "/com.snowplowanalytics.snowplow/tp2": ("snowplow", _json_list("data")),
}
ROUTE_KINDS = {kind for kind, _ in ROUTES.values()}


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: dict[str, Any] = {}
        self.reset()

    def reset(self) -> dict[str, Any]:
        with self.lock:
            previous = self.counts
            self.counts = dict.fromkeys(KINDS, 0)
            self.counts["last_arrival"] = None
            return previous

    def add(self, kind: str, amount: int) -> None:
        with self.lock:
            self.counts[kind] += amount
            self.counts["requests"] += 1
            if amount and kind in ROUTE_KINDS:
                self.counts["last_arrival"] = time.time()

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return dict(self.counts)


TALLY = Tally()


def _decoded(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    return body


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the trackers' sessions expect
    # Headers and body in one write, sent at once: an answer in two small writes meets the
    # client's delayed ACK (Nagle) and holds every keep-alive request ~40 ms.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    def do_POST(self) -> None:
        body = self._body()
        path = self.path.split("?", 1)[0]
        if path == "/reset":
            self._answer(json.dumps(TALLY.reset()).encode(), "application/json")
            return
        route = ROUTES.get(path)
        if route is None:
            TALLY.add("metrics_requests" if path == "/v1/metrics" else "other", 1)
        else:
            kind, count = route
            try:
                amount = count(_decoded(body, self.headers.get("Content-Encoding", "")))
            except Exception:  # counted, and answered 200 all the same
                TALLY.add("errors", 1)
            else:
                TALLY.add(kind, amount)  # before answering: a flushed client finds it counted
        if path.startswith("/v1/"):
            self._answer(b"", "application/x-protobuf")  # an empty Export*ServiceResponse
        else:
            self._answer(b'{"status": 1, "success": true}', "application/json")

    def do_GET(self) -> None:
        if self.path == "/counts":
            self._answer(json.dumps(TALLY.snapshot()).encode(), "application/json")
        else:
            self._answer(b"{}", "application/json")

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                chunk = self.rfile.read(size)
                self.rfile.readline()
                if not size:
                    return b"".join(chunks)
                chunks.append(chunk)
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _answer(self, payload: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # Snowplow opens a connection per request


def serve() -> None:
    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    sys.stdin.read()  # until the parent closes our stdin (or dies)
    server.shutdown()


class Sink:
    """The sink in a subprocess: ``with Sink() as sink: sink.reset(); ...; sink.counts()``."""

    def __init__(self) -> None:
        self.process = subprocess.Popen([sys.executable, str(Path(__file__).resolve())],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the delivery sink did not start")
        self.url = f"http://127.0.0.1:{json.loads(line)['port']}"

    def _call(self, method: str, path: str) -> dict[str, Any]:
        request = urllib.request.Request(self.url + path, method=method,
                                         data=b"" if method == "POST" else None)
        with urllib.request.urlopen(request, timeout=10) as response:
            result: dict[str, Any] = json.loads(response.read())
            return result

    def reset(self) -> None:
        self._call("POST", "/reset")

    def counts(self) -> dict[str, Any]:
        return self._call("GET", "/counts")

    def settled_counts(self, expected: int, kind: str, wait_s: float = 2.0) -> dict[str, Any]:
        """The counts once ``expected`` events of ``kind`` arrived, or after ``wait_s``
        without a change (a request still being decoded is then counted)."""
        counts = self.counts()
        deadline = time.monotonic() + wait_s
        while counts[kind] < expected and time.monotonic() < deadline:
            time.sleep(0.05)
            latest = self.counts()
            if latest != counts:
                deadline = time.monotonic() + wait_s
            counts = latest
        return counts

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()

    def __enter__(self) -> Sink:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


if __name__ == "__main__":
    serve()
