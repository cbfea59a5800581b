"""Benchmark: what zero-code adds to a Python process, at start-up and over a short run.

    .venv/bin/python tests/benchmarks/startup.py [--runs 15] [--python PATH] [--calls N]

Every Python process the application starts runs the launcher's bootstrap (``PYTHONPATH`` as
``otel-product-events run`` sets it; the launcher's own process is not counted: it replaces
itself with the program). Two numbers per case, both CPU time (user + system, all threads:
other load on the machine does not count), medians over interleaved runs:

* **start-up**: the CPU the process has used when the program's first statement runs
  (``time.process_time()`` read by that statement). This is what the bootstrap adds before the
  application can do anything: with targets, the SDK configured and the import hooks in place.
  Work deferred to later (the OTLP exporter is built when the first batch goes out, a target
  is instrumented when its module is imported) is not in it.
* **whole run, sending nothing**: the CPU of that whole process (it prints a number and ends),
  exit included: what a child process that never sends anything costs.
* **whole run, one event**: the CPU of the whole process running ``import target_module;
  target_module.work(1)``. With targets, that call emits one event (and its span), exported at
  exit to a local OTLP/HTTP receiver in this process (checked: the run fails if the event did not
  arrive). So the deferred work is all here: instrumenting the target, building the exporter,
  encoding, sending.

Per call: a target with no attributes called in a loop, by code object (``sys.monitoring``,
3.12+) and by wrapper, against the bare call. Not part of the test run: machines are noisy.
"""

from __future__ import annotations

import argparse
import http.server
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
BOOTSTRAP = REPO / "otel_product_events" / "auto" / "bootstrap"

#: The program's first statement reads the CPU time used so far, and prints it last.
FIRST_STATEMENT = "import time; _cpu = time.process_time()\n"
START_UP_PROGRAM = FIRST_STATEMENT + "print(_cpu)\n"
SHORT_RUN_PROGRAM = "import target_module\ntarget_module.work(1)\n"

CALLER = '''
import sys, time
sys.path.insert(0, {here!r})
import otel_product_events as pe
from otel_product_events.auto.hooks import Instrumentation
from otel_product_events.catalog.targets import parse_track_variable
import target_module
pe.configure()
engine, switched_off = {engine!r}.split("/") if "/" in {engine!r} else ({engine!r}, "")
if engine != "bare":
    targets = parse_track_variable("target_module:work=work.done").targets
    Instrumentation(targets, engine=engine).start()
if switched_off:  # what the engine itself costs: no span, no event
    from otel_product_events.privacy import consent
    consent.set_enabled(False)
start = time.thread_time()
for _ in range({calls}):
    target_module.work(1)
print((time.thread_time() - start) / {calls} * 1e9)
'''


class Receiver(http.server.ThreadingHTTPServer):
    """A local OTLP/HTTP receiver: answers 200 to every export and counts requests by path."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: Counter[str] = Counter()
        self.lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with self.server.lock:
            self.server.requests[self.path] += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def cpu_of_run(python: str, code: str, env: dict[str, str]) -> tuple[float, str]:
    """CPU seconds (user + system) of the whole process running ``code``, and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([python, "-c", code], env=env, check=True, capture_output=True,
                          text=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, done.stdout


def measure(python: str, cases: dict[str, dict[str, str]], receiver: Receiver,
            runs: int) -> dict[str, tuple[float, float, float]]:
    """Median CPU seconds per case: start-up, whole run sending nothing, whole run sending one
    event; the cases take turns run after run (a change of load hits them all), after one
    warm-up round."""
    samples: dict[str, tuple[list[float], list[float], list[float]]] = {
        k: ([], [], []) for k in cases}
    for run in range(runs + 1):
        for label, env in cases.items():
            quiet, output = cpu_of_run(python, START_UP_PROGRAM, env)
            with receiver.lock:
                logs_before = receiver.requests["/v1/logs"]
            whole, _ = cpu_of_run(python, SHORT_RUN_PROGRAM, env)
            with receiver.lock:
                logs_sent = receiver.requests["/v1/logs"] - logs_before
            if "OTEL_PRODUCT_EVENTS_TRACK" in env and logs_sent < 1:
                raise SystemExit(f"{label}: the event did not reach the receiver")
            if run:
                samples[label][0].append(float(output.split()[-1]))
                samples[label][1].append(quiet)
                samples[label][2].append(whole)
    return {label: (statistics.median(start), statistics.median(quiet), statistics.median(whole))
            for label, (start, quiet, whole) in samples.items()}


def base_env(here: str, endpoint: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "DO_NOT_TRACK"))}
    env.update({"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint,
                "OTEL_PRODUCT_EVENTS_STATE_DIR": os.path.join(here, "state"),
                "PYTHONPATH": here})
    return env


def per_call(python: str, here: str, calls: int) -> None:
    print(f"per call, {calls} calls of a target without attributes (CPU of the calling "
          "thread):")
    quiet = {**base_env(here, "http://127.0.0.1:9"), "OTEL_TRACES_EXPORTER": "none",
             "OTEL_LOGS_EXPORTER": "none", "OTEL_METRICS_EXPORTER": "none"}
    for label, engine in (("bare call", "bare"),
                          ("tracked (code object on 3.12+, else wrapper)", "auto"),
                          ("tracked by wrapper", "wrap"),
                          ("code object, tracking switched off", "auto/off"),
                          ("wrapper, tracking switched off", "wrap/off")):
        caller = CALLER.format(here=here, calls=calls, engine=engine)
        done = subprocess.run([python, "-c", caller], env=quiet, check=True,
                              capture_output=True, text=True)
        print(f"  {label:46} {float(done.stdout.split()[-1]):8.0f} ns/call")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--calls", type=int, default=200_000, help="0: no per-call part")
    options = parser.parse_args()
    receiver = Receiver()
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    with tempfile.TemporaryDirectory() as here:
        Path(here, "target_module.py").write_text("def work(x):\n    return x\n")
        plain = base_env(here, receiver.endpoint)
        launched = {**plain, "PYTHONPATH": os.pathsep.join([str(BOOTSTRAP), here])}
        targets = {**launched, "OTEL_PRODUCT_EVENTS_TRACK":
                   "target_module:work=work.done,never_imported:run=never.ran"}
        cases = {"plain python": plain, "launcher, no target": launched,
                 "launcher, 2 targets": targets}
        results = measure(options.python, cases, receiver, options.runs)
        version = subprocess.run([options.python, "-V"], capture_output=True, text=True)
        print(f"{options.python}: {version.stdout.strip()}")
        print(f"CPU time (user + system), median of {options.runs} runs:")
        for heads in (("start-up", "whole run,", "whole run,"),
                      ("", "sending nothing", "one event")):
            print((f"  {'':22}" + " ".join(f"{head:>15}  " for head in heads)).rstrip())
        base = results["plain python"]
        for label, values in results.items():
            cells = []
            for value, plain in zip(values, base, strict=True):
                added = "" if label == "plain python" else f"{(value - plain) * 1e3:+.0f}"
                cells.append(f"{value * 1e3:8.1f} ms {added:>5}")
            print(f"  {label:22}" + " ".join(cells).rstrip())
        print("  start-up: until the program's first statement runs. whole run: the process, "
              "exit\n  included; one event: `import target_module; target_module.work(1)`, "
              "whose event\n  and span (with targets) go at exit to a local OTLP/HTTP "
              "receiver.")
        if options.calls:
            per_call(options.python, here, options.calls)
    receiver.shutdown()


if __name__ == "__main__":
    main()
