"""Benchmark: what zero-code adds to a Python process's start-up, and to each call.

    .venv/bin/python tests/benchmarks/startup.py [--runs 15] [--python PATH]

Start-up: the median CPU time of ``python -c pass``-like programs, plainly and under the
launcher's bootstrap (``PYTHONPATH`` as ``otel-product-events run`` sets it, so the launcher's
own process is not counted: it replaces itself with the program), with no target, and with
targets (one that is imported and called, one in a module never imported). The exporters are
the default OTLP ones pointing at a closed port (nothing is sent in so short a run).

Per call: a target with no attributes called in a loop, by code object (``sys.monitoring``,
3.12+) and by wrapper, against the bare call. Not part of the test run: machines are noisy.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BOOTSTRAP = REPO / "otel_product_events" / "auto" / "bootstrap"

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


def timed(python: str, code: str, env: dict[str, str], runs: int) -> float:
    """Median CPU seconds (user + system) of ``python -c code``, after one warm-up run: CPU
    time, not wall time, so that other load on the machine does not count."""
    samples = []
    for run in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run([python, "-c", code], env=env, check=True, capture_output=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if run:
            samples.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(samples)


def base_env(here: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "DO_NOT_TRACK"))}
    env.update({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9",  # closed: nothing sent
                "OTEL_PRODUCT_EVENTS_STATE_DIR": os.path.join(here, "state"),
                "PYTHONPATH": here})
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--calls", type=int, default=200_000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as here:
        Path(here, "target_module.py").write_text("def work(x):\n    return x\n")
        plain = base_env(here)
        launched = {**plain, "PYTHONPATH": os.pathsep.join([str(BOOTSTRAP), here])}
        targets = {**launched, "OTEL_PRODUCT_EVENTS_TRACK":
                   "target_module:work=work.done,never_imported:run=never.ran"}
        program = "import target_module; target_module.work(1)"
        baseline = timed(options.python, program, plain, options.runs)
        version = subprocess.run([options.python, "-V"], capture_output=True, text=True)
        print(f"{options.python}: {version.stdout.strip()}")
        print(f"start-up CPU time, median of {options.runs} runs:")
        print(f"  plain                          {baseline * 1e3:7.1f} ms")
        for label, env in (("launcher, no target", launched), ("launcher, 2 targets", targets)):
            seconds = timed(options.python, program, env, options.runs)
            print(f"  {label:30} {seconds * 1e3:7.1f} ms  (+{(seconds - baseline) * 1e3:.1f} ms)")
        print(f"per call, {options.calls} calls of a target without attributes:")
        quiet = {**plain, "OTEL_TRACES_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none",
                 "OTEL_METRICS_EXPORTER": "none"}
        for label, engine in (("bare call", "bare"),
                              ("tracked (code object on 3.12+, else wrapper)", "auto"),
                              ("tracked by wrapper", "wrap"),
                              ("code object, tracking switched off", "auto/off"),
                              ("wrapper, tracking switched off", "wrap/off")):
            caller = CALLER.format(here=here, calls=options.calls, engine=engine)
            done = subprocess.run([options.python, "-c", caller], env=quiet, check=True,
                                  capture_output=True, text=True)
            print(f"  {label:46} {float(done.stdout.split()[-1]):8.0f} ns/call")

if __name__ == "__main__":
    main()
