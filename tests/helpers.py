"""Helpers for tests that need a fresh interpreter or the exact bytes that would be exported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter

REPO = Path(__file__).resolve().parent.parent


def run_python(code: str, env: Mapping[str, str] | None = None, *, timeout: float = 60,
               args: Sequence[str] = ()) -> subprocess.CompletedProcess[str]:
    """Runs ``code`` in a fresh interpreter (clean of opt-out variables unless ``env`` sets
    them) and returns the finished process; stdout and stderr are text."""
    environ = {k: v for k, v in os.environ.items()
               if k not in ("DO_NOT_TRACK", "OTEL_PRODUCT_EVENTS_ENABLED", "OTEL_SDK_DISABLED",
                            "OTEL_PRODUCT_EVENTS_STRICT")}
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args], env=environ, text=True,
        capture_output=True, timeout=timeout, check=False, cwd=REPO,
    )


def last_json_line(process: subprocess.CompletedProcess[str]) -> Any:
    """The JSON document a subprocess printed last; fails the test with its stderr if none."""
    assert process.returncode == 0, process.stderr
    lines = [line for line in process.stdout.splitlines() if line.startswith(("{", "["))]
    assert lines, f"no JSON printed; stdout={process.stdout!r} stderr={process.stderr!r}"
    return json.loads(lines[-1])


def otlp_bytes(records: Sequence[ReadableLogRecord]) -> bytes:
    """The serialized OTLP ExportLogsServiceRequest the exporter would send for ``records``."""
    return encode_logs(records).SerializeToString()


def exported_records(exporter: InMemoryLogRecordExporter) -> list[ReadableLogRecord]:
    return list(exporter.get_finished_logs())
