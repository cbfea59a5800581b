"""Exit is bounded and loses nothing that could be sent; fork and pre-fork servers keep working."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from otel_product_events.testing.collector import RunningCollector, read_product_events
from tests.conftest import SilentCollector
from tests.helpers import REPO, last_json_line, run_python


@pytest.mark.parametrize("protocol", ["http/protobuf", "grpc"])
def test_exit_takes_at_most_the_default_two_seconds_with_the_collector_hanging(
    silent_collector: SilentCollector, protocol: str
) -> None:
    """From the end of the program to the end of the process: under 2 s (SDK alone: ~12 s)."""
    process = subprocess.Popen(
        [sys.executable, "-c", """
import sys, time
import otel_product_events as pe
pe.configure(endpoint=sys.argv[1], protocol=sys.argv[2])

@pe.track("order.placed")
def place():
    pass

for _ in range(500):
    place()
print("main done", flush=True)
""", silent_collector.url, protocol], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env={**os.environ, "OTEL_PRODUCT_EVENTS_STRICT": "false"})
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "main done"
    main_done = time.monotonic()
    process.wait(timeout=30)
    exit_seconds = time.monotonic() - main_done
    assert exit_seconds < 2.5, exit_seconds  # 2 s bound + interpreter teardown
    assert process.returncode == 0


LATE_EVENTS_APP = """
import atexit, sys
import otel_product_events as pe

atexit.register(lambda: pe.emit("exit.hook.registered.before.configure"))
pe.configure(service_name="late", endpoint=sys.argv[1])
atexit.register(lambda: pe.emit("exit.hook.registered.after.configure"))

def main():
    try:
        pe.emit("main.ran")
        raise SystemExit(3)
    finally:
        pe.emit("finally.block.ran")

main()
"""


def test_events_from_exit_hooks_and_finally_blocks_are_exported(
    collector: RunningCollector, tmp_path: Path
) -> None:
    """Whatever the exit hooks' order relative to ours, their events reach the collector."""
    process = run_python(LATE_EVENTS_APP, {"OTEL_PRODUCT_EVENTS_STATE_DIR": str(tmp_path)},
                         args=[collector.http_endpoint])
    assert process.returncode == 3, process.stderr
    collector.stop()
    names = sorted(e["event_name"] for e in read_product_events(collector.data_dir))
    assert names == sorted(["main.ran", "finally.block.ran", "exit.hook.registered.after.configure",
                            "exit.hook.registered.before.configure"])


FORK_APP = """
import json, os, sys
import otel_product_events as pe
pe.configure(endpoint=sys.argv[1])
pe.emit("parent.before.fork")
child = os.fork()
if child == 0:
    for i in range(50):
        pe.emit("child.event", {"i": i})
    sys.exit(0)  # a normal exit: our exit hook flushes the child's queue
os.waitpid(child, 0)
pe.emit("parent.after.fork")
print(json.dumps({"child": child}))
"""


def test_a_forked_child_exports_its_own_events_and_no_duplicates(
    collector: RunningCollector, tmp_path: Path
) -> None:
    last_json_line(run_python(FORK_APP, {"OTEL_PRODUCT_EVENTS_STATE_DIR": str(tmp_path)},
                              args=[collector.http_endpoint]))
    collector.stop()
    stored = read_product_events(collector.data_dir)
    names = Counter(e["event_name"] for e in stored)
    assert names == {"parent.before.fork": 1, "child.event": 50, "parent.after.fork": 1}
    assert len({e["attributes"]["log.record.uid"] for e in stored}) == len(stored)


POOL_APP = """
import json, sys, multiprocessing
import otel_product_events as pe

def work(i):
    pe.emit("worker.event", {"i": i})
    return i

if __name__ == "__main__":
    pe.configure(endpoint=sys.argv[1])
    pool = multiprocessing.get_context("fork").Pool(3)
    print(json.dumps(pool.map(work, range(30))))
    pool.close()
    pool.join()
"""


def test_multiprocessing_fork_workers_flush_before_they_exit(
    collector: RunningCollector, tmp_path: Path
) -> None:
    """Pool workers end with os._exit (no atexit); their events still arrive."""
    script = tmp_path / "pool_app.py"
    script.write_text(POOL_APP)
    env = {**os.environ, "OTEL_PRODUCT_EVENTS_STATE_DIR": str(tmp_path / "state"),
           "PYTHONPATH": str(REPO)}
    process = subprocess.run([sys.executable, str(script), collector.http_endpoint], env=env,
                             capture_output=True, text=True, timeout=120, check=False)
    assert last_json_line(process) == list(range(30))
    collector.stop()
    stored = read_product_events(collector.data_dir)
    assert sorted(e["attributes"]["i"] for e in stored) == list(range(30))


WSGI_APP = '''
import os
import time
import otel_product_events as pe
from examples.incident_response.service import IncidentService

pe.configure(service_name="incident-wsgi")
service = IncidentService()

def application(environ, start_response):
    time.sleep(0.05)  # a request takes a while, so concurrent ones spread over the workers
    incident = service.create_incident("From the web", "user-ann", "team-red")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"{os.getpid()} {incident.id}".encode()]
'''


def test_gunicorn_preforked_workers_send_events_without_deadlock(
    collector: RunningCollector, tmp_path: Path
) -> None:
    """gunicorn --preload: the app (and the SDK) is loaded in the master, then forked."""
    pytest.importorskip("gunicorn")
    (tmp_path / "wsgi_app.py").write_text(WSGI_APP)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "OTEL_PRODUCT_EVENTS_STATE_DIR": str(tmp_path / "state"),
           "PYTHONPATH": f"{tmp_path}{os.pathsep}{REPO}",
           "OTEL_EXPORTER_OTLP_ENDPOINT": collector.http_endpoint}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--preload", "--workers", "3", "--bind",
         f"127.0.0.1:{port}", "--graceful-timeout", "10", "wsgi_app:application"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _get_with_retry(f"http://127.0.0.1:{port}/")  # up and serving
        with ThreadPoolExecutor(8) as requests:
            answers = list(requests.map(_get_with_retry, [f"http://127.0.0.1:{port}/"] * 60))
    finally:
        server.send_signal(signal.SIGTERM)
        output = server.communicate(timeout=60)[0]
    workers = Counter(answer.split()[0] for answer in answers)
    assert len(workers) >= 2, output  # the requests were spread over forked workers
    collector.stop()
    stored = read_product_events(collector.data_dir)
    assert len(stored) == 61, output
    # Each worker reports with its own service.instance.id (the SDK renews it after fork).
    assert len({e["resource"]["service.instance.id"] for e in stored}) >= len(workers)


def _get_with_retry(url: str) -> str:
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return str(response.read().decode())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
