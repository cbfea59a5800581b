"""A short-lived script that never calls flush delivers every event when it ends, on every
supported Python (3.12 refuses to start a thread once the interpreter is shutting down)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from otel_product_events.testing.collector import RunningCollector, read_product_events
from tests.helpers import REPO
from tests.reliability.interpreters import VERSIONS, python_for

SHORT_SCRIPT = """
import atexit, json, sys
import otel_product_events as pe

# Registered before configure, so it runs after our exit flush: the books as the process ends.
atexit.register(lambda: print(json.dumps(pe.stats()), flush=True))
pe.configure(service_name="short", endpoint=sys.argv[1], protocol=sys.argv[2])
for i in range(100):
    pe.emit("script.step", {"step": i})
"""


def run_short_script(python: Path, collector: RunningCollector, protocol: str,
                     state_dir: Path, ending: str = "") -> subprocess.CompletedProcess[str]:
    endpoint = collector.grpc_endpoint if protocol == "grpc" else collector.http_endpoint
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "DO_NOT_TRACK"))}
    env["OTEL_PRODUCT_EVENTS_STATE_DIR"] = str(state_dir)
    return subprocess.run([str(python), "-c", SHORT_SCRIPT + ending, endpoint, protocol], cwd=REPO,
                          env=env, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
@pytest.mark.parametrize("version", VERSIONS)
def test_a_script_that_just_ends_delivers_all_its_events(
    collector: RunningCollector, tmp_path: Path, version: str, protocol: str
) -> None:
    process = run_short_script(python_for(version), collector, protocol, tmp_path)
    assert process.returncode == 0, process.stderr
    assert "Error" not in process.stderr, process.stderr
    books = json.loads(process.stdout.splitlines()[-1])
    assert books == {"log_records_exported": 100}
    collector.stop()
    steps = [e["attributes"]["step"] for e in read_product_events(collector.data_dir)]
    assert sorted(steps) == list(range(100))


def test_no_warning_at_exit_after_an_explicit_shutdown(collector: RunningCollector,
                                                       tmp_path: Path) -> None:
    """The examples end with pe.shutdown(): the exit hook has nothing left and says nothing."""
    process = run_short_script(python_for("3.11"), collector, "http/protobuf", tmp_path,
                               ending="print(pe.shutdown())\n")
    assert process.returncode == 0, process.stderr
    assert process.stderr == ""
    assert process.stdout.splitlines()[0] == "True"
    assert json.loads(process.stdout.splitlines()[-1]) == {"log_records_exported": 100}
    collector.stop()
    assert len(read_product_events(collector.data_dir)) == 100
