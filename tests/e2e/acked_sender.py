"""A steady-rate OTLP/HTTP sender that remembers which events the collector acknowledged.

The collector's durability promise is about acknowledged records, so the test client must know
exactly which records were acknowledged: it posts OTLP/JSON batches of product events with
unique ``log.record.uid`` values and records a batch as acknowledged only on HTTP 200. A failed
batch (connection refused while the collector restarts, reset, 5xx) is retried until it is
acknowledged, like the SDK's exporter retries; a retry may store a batch twice (the report
deduplicates by uid).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

SCOPE = "otel_product_events"


def _request(uids: list[str], now_ns: int, installation: str = "i-0") -> bytes:
    records = [{"timeUnixNano": str(now_ns), "eventName": "durability.tick",
                "attributes": [{"key": "log.record.uid", "value": {"stringValue": uid}},
                               {"key": "app.installation.id",
                                "value": {"stringValue": installation}}]}
               for uid in uids]
    return json.dumps({"resourceLogs": [{
        "resource": {"attributes": [
            {"key": "service.name", "value": {"stringValue": "durability-test"}}]},
        "scopeLogs": [{"scope": {"name": SCOPE}, "logRecords": records}]}]}).encode()


class AckedSender(threading.Thread):
    """Sends ``rate`` events/s in batches of ``batch`` to ``url`` (.../v1/logs) until stopped."""

    def __init__(self, url: str, *, rate: float = 2000, batch: int = 100, prefix: str = "e"):
        super().__init__(daemon=True)
        self.url, self.rate, self.batch, self.prefix = url, rate, batch, prefix
        self.acked: list[str] = []
        self.attempts = self.failures = 0
        self._stop_sending = threading.Event()
        self._give_up_at = float("inf")

    def stop(self, drain_timeout: float = 30.0) -> None:
        """Stop making new batches; keep retrying the pending one for up to ``drain_timeout``."""
        self._give_up_at = time.monotonic() + drain_timeout
        self._stop_sending.set()
        self.join(drain_timeout + 10)

    def _post(self, body: bytes) -> bool:
        self.attempts += 1
        request = urllib.request.Request(self.url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                if int(response.status) == 200:
                    return True
        except (urllib.error.URLError, OSError, ValueError):
            pass
        self.failures += 1
        return False

    def run(self) -> None:
        start = time.monotonic()
        sent_batches = 0
        while not self._stop_sending.is_set():
            due = start + sent_batches * self.batch / self.rate
            delay = due - time.monotonic()
            if delay > 0 and self._stop_sending.wait(delay):
                break
            uids = [f"{self.prefix}-{sent_batches}-{i}" for i in range(self.batch)]
            body = _request(uids, time.time_ns())
            while not self._post(body):
                if time.monotonic() > self._give_up_at:
                    return
                time.sleep(0.05)
            self.acked += uids
            sent_batches += 1
