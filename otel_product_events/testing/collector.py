"""Build, run and read the real otel-product-events OpenTelemetry Collector (tests and demo).

- :func:`build_collector` runs ``collector-config/build.sh`` (cached ocb build) and returns the
  binary's path.
- :func:`run_collector` starts the binary on free loopback ports, waits until it is ready and
  stops it with SIGTERM on exit, so that the file exporter flushes.
- :func:`read_product_events` parses the OTLP JSON-lines files the file exporter wrote
  (rotated backups included) into one plain dict per log record.

Standard library only (zstandard is imported only to read zstd-compressed files).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from otel_product_events.report.files import read_requests
from otel_product_events.report.otlp_json import any_value, attributes
from otel_product_events.testing.ports import LOOPBACK, free_ports, port_open
from otel_product_events.testing.processes import log_tail, terminate


class CollectorError(RuntimeError):
    """The collector could not be built, started or stopped."""


def _find_build_script(where: str | os.PathLike[str] | None) -> Path:
    """Accept a repo root, the collector-config dir or build.sh itself; default: search upward."""
    if where is None:
        for parent in Path(__file__).resolve().parents:
            candidate = parent / "collector-config" / "build.sh"
            if candidate.is_file():
                return candidate
        raise CollectorError("collector-config/build.sh not found above " + __file__)
    path = Path(where).resolve()
    for candidate in (path, path / "build.sh", path / "collector-config" / "build.sh"):
        if candidate.is_file():
            return candidate
    raise CollectorError(f"no collector-config/build.sh at or below {path}")


def build_collector(where: str | os.PathLike[str] | None = None, *, timeout: float = 3600) -> Path:
    """Build (or reuse the cached) collector and return the absolute path of its binary."""
    script = _find_build_script(where)
    try:
        proc = subprocess.run(
            ["bash", str(script)], capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise CollectorError(f"{script} did not finish within {timeout:.0f}s") from exc
    lines = proc.stdout.strip().splitlines()
    if proc.returncode != 0 or not lines:
        tail = "\n".join(proc.stderr.strip().splitlines()[-30:])
        raise CollectorError(f"{script} failed (exit {proc.returncode}):\n{tail}")
    binary = Path(lines[-1])
    if not binary.is_file():
        raise CollectorError(f"{script} printed {binary}, which is not a file")
    return binary


@dataclass
class RunningCollector:
    """A started collector process and the loopback ports it listens on."""

    process: subprocess.Popen[bytes]
    data_dir: Path
    log_path: Path
    grpc_port: int
    http_port: int
    health_port: int
    self_metrics_port: int

    @property
    def grpc_endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.grpc_port}"

    @property
    def http_endpoint(self) -> str:
        return f"http://{LOOPBACK}:{self.http_port}"

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the collector's stderr (its own log)."""
        return log_tail(self.log_path, lines)

    def is_ready(self) -> bool:
        try:
            with urllib.request.urlopen(
                f"http://{LOOPBACK}:{self.health_port}/", timeout=0.5
            ) as resp:
                healthy = int(resp.status) == 200
        except (urllib.error.URLError, OSError):
            return False
        return healthy and port_open(self.grpc_port) and port_open(self.http_port)

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM (the collector flushes and shuts down), then SIGKILL after ``timeout``."""
        return terminate(self.process, timeout)


def _start(
    command: list[str], env_extra: Mapping[str, str], data_dir: Path, ready_timeout: float,
    ports: Sequence[int] | None = None,
) -> RunningCollector:
    grpc, http, health, metrics = ports or free_ports(4)
    env = {
        **os.environ,
        "PRODUCT_EVENTS_OTLP_GRPC_ENDPOINT": f"{LOOPBACK}:{grpc}",
        "PRODUCT_EVENTS_OTLP_HTTP_ENDPOINT": f"{LOOPBACK}:{http}",
        "PRODUCT_EVENTS_HEALTH_ENDPOINT": f"{LOOPBACK}:{health}",
        "PRODUCT_EVENTS_SELF_METRICS_PORT": str(metrics),
        "PRODUCT_EVENTS_DATA_DIR": str(data_dir),
        **env_extra,
    }
    log_path = data_dir / "collector.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, env=env, cwd=data_dir, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
    running = RunningCollector(process, data_dir, log_path, grpc, http, health, metrics)
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise CollectorError(
                f"collector exited with {process.returncode} before it was ready:\n"
                + running.log_tail()
            )
        if running.is_ready():
            return running
        time.sleep(0.05)
    running.stop(timeout=5)
    raise CollectorError(f"collector not ready within {ready_timeout:.0f}s:\n" + running.log_tail())


@contextlib.contextmanager
def run_collector(
    binary: str | os.PathLike[str],
    configs: Sequence[str | os.PathLike[str]],
    *,
    data_dir: str | os.PathLike[str],
    env_extra: Mapping[str, str] | None = None,
    ready_timeout: float = 30.0,
    stop_timeout: float = 15.0,
    attempts: int = 3,
    ports: Sequence[int] | None = None,
) -> Iterator[RunningCollector]:
    """Run the collector with ``--config`` for each of ``configs`` on free loopback ports
    (or on ``ports``: gRPC, HTTP, health check, self-metrics, e.g. to restart one in place).

    The PRODUCT_EVENTS_* port and data-dir variables are set for it; ``env_extra`` is added
    last (it may override them). The collector's stderr goes to ``data_dir/collector.log``.
    A lost port race ("address already in use") is retried up to ``attempts`` times.
    """
    attempts = max(1, attempts)
    data = Path(data_dir).resolve()
    data.mkdir(parents=True, exist_ok=True)
    command = [str(Path(binary).resolve())]
    for config in configs:
        command += ["--config", str(Path(config).resolve())]
    for attempt in range(1, attempts + 1):
        try:
            running = _start(command, env_extra or {}, data, ready_timeout, ports)
            break
        except CollectorError as exc:
            if attempt == attempts or "address already in use" not in str(exc):
                raise
    try:
        yield running
    finally:
        running.stop(timeout=stop_timeout)


def _flatten(
    record: Mapping[str, Any], resource: dict[str, Any], scope: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "event_name": record.get("eventName", ""),
        "time_unix_nano": int(record.get("timeUnixNano", 0)),
        "observed_time_unix_nano": int(record.get("observedTimeUnixNano", 0)),
        "trace_id": record.get("traceId", ""),
        "span_id": record.get("spanId", ""),
        "flags": int(record.get("flags", 0)),
        "severity_number": int(record.get("severityNumber", 0)),
        "severity_text": record.get("severityText", ""),
        "body": any_value(record.get("body")),
        "attributes": attributes(record.get("attributes")),
        "resource": dict(resource),
        "scope_name": scope.get("name", ""),
        "scope_version": scope.get("version", ""),
        "scope_attributes": attributes(scope.get("attributes")),
    }


def read_product_events(
    data_dir: str | os.PathLike[str], pattern: str = "*.jsonl*"
) -> list[dict[str, Any]]:
    """One dict per log record in the OTLP JSON-lines files under ``data_dir``, oldest first.

    Rotated backups match ``pattern`` too, compressed ones are read as well, and a partially
    written last line is skipped.
    """
    files = sorted(Path(data_dir).glob(pattern), key=lambda p: (p.stat().st_mtime, p.name))
    records: list[dict[str, Any]] = []
    for path in files:
        for request in read_requests(path):
            for resource_logs in request.get("resourceLogs", []):
                resource = attributes(resource_logs.get("resource", {}).get("attributes"))
                for scope_logs in resource_logs.get("scopeLogs", []):
                    scope = scope_logs.get("scope", {})
                    records += [
                        _flatten(r, resource, scope) for r in scope_logs.get("logRecords", [])
                    ]
    return records
