"""Our ids come from a private generator: an application that seeds ``random`` neither makes
them repeat nor sees its own seeded sequence move because tracking is on."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

import otel_product_events as pe
from otel_product_events import semconv
from otel_product_events.ids import PrivateIdGenerator
from otel_product_events.testing import capture_events
from otel_product_events.testing.collector import RunningCollector, read_product_events
from tests.helpers import REPO, last_json_line, run_python

seeds = st.lists(st.integers(min_value=0, max_value=3), min_size=2, max_size=40)


@settings(max_examples=40, deadline=None)
@given(seeds)
def test_event_ids_stay_unique_when_the_app_seeds_random_before_every_call(
    seed_list: list[int],
) -> None:
    with capture_events() as events:
        for seed in seed_list:
            random.seed(seed)
            pe.emit("seeded.call")
    uids = [event.attributes[semconv.LOG_RECORD_UID] for event in events]
    assert len(set(uids)) == len(seed_list)


@settings(max_examples=40, deadline=None)
@given(seeds)
def test_trace_and_span_ids_stay_unique_when_the_app_seeds_random_before_every_call(
    seed_list: list[int],
) -> None:
    generator = PrivateIdGenerator()
    ids = []
    for seed in seed_list:
        random.seed(seed)
        ids.append((generator.generate_trace_id(), generator.generate_span_id()))
    assert len(set(ids)) == len(seed_list)


def test_configure_builds_its_tracer_provider_with_the_private_id_generator() -> None:
    report = last_json_line(run_python("""
import json, random
import otel_product_events as pe
from opentelemetry import trace
pe.configure(span_exporter=None, log_exporter=None)
tracer = trace.get_tracer("app")
ids = set()
for _ in range(20):
    random.seed(7)
    with tracer.start_as_current_span("work") as span:
        ids.add(span.get_span_context().trace_id)
print(json.dumps({"distinct_trace_ids": len(ids)}))
""", {"OTEL_TRACES_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none",
      "OTEL_METRICS_EXPORTER": "none"}))
    assert report == {"distinct_trace_ids": 20}


SEEDED_APP = """
import json, random, sys
import otel_product_events as pe
pe.configure(service_name="seeded", endpoint=sys.argv[1])

@pe.track("step.done")
def step(i):
    return i

sequences = {}
for seed in json.loads(sys.argv[2]):
    random.seed(seed)
    drawn = []
    for i in range(10):
        drawn.append(random.random())
        pe.emit("seeded.call", {"i": i})
        step(i)
        if i % 3 == 0:
            pe.flush(5)  # exports happen while the app draws its numbers
    sequences[seed] = drawn
print(json.dumps(sequences))
"""


def run_seeded_app(collector: RunningCollector, seed_list: list[int], enabled: bool,
                   state_dir: Path) -> object:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "DO_NOT_TRACK"))}
    env["OTEL_PRODUCT_EVENTS_STATE_DIR"] = str(state_dir)
    env["OTEL_PRODUCT_EVENTS_ENABLED"] = "true" if enabled else "false"
    process = subprocess.run(
        [sys.executable, "-c", SEEDED_APP, collector.http_endpoint, json.dumps(seed_list)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
    return last_json_line(process)


def test_the_apps_seeded_random_sequence_is_the_same_with_tracking_on_and_off(
    collector: RunningCollector, tmp_path: Path
) -> None:
    # A handful of seeds in one process each way: every run starts an interpreter.
    seed_list = [0, 1, 42, 2**31 - 1]
    tracked = run_seeded_app(collector, seed_list, True, tmp_path)
    untracked = run_seeded_app(collector, seed_list, False, tmp_path)
    assert tracked == untracked
    collector.stop()
    assert len(read_product_events(collector.data_dir)) == 2 * 10 * len(seed_list)


def test_a_forked_child_draws_other_ids_than_its_parent() -> None:
    report = last_json_line(run_python("""
import json, os
from otel_product_events.ids import new_uuid7
read, write = os.pipe()
pid = os.fork()
ids = [new_uuid7()[15:] for _ in range(5)]  # the random part only, not the time
if pid == 0:
    os.write(write, json.dumps(ids).encode())
    os._exit(0)
os.waitpid(pid, 0)
child = json.loads(os.read(read, 65536))
print(json.dumps({"shared": len(set(ids) & set(child))}))
"""))
    assert report == {"shared": 0}


def test_capture_events_leaves_the_apps_seeded_sequence_alone() -> None:
    """Without providers, capture_events() installs its own: span ids come from the private
    generator there too (jinja2's test_random, run under the field harness, depends on it)."""
    report = last_json_line(run_python("""
import json, random
import otel_product_events as pe
from otel_product_events.testing import capture_events

@pe.track("seeded.call")
def call():
    pass

random.seed(7)
expected = random.random()
with capture_events() as events:
    random.seed(7)
    call()
    drawn = random.random()
print(json.dumps({"events": len(events), "spans": len(events.spans), "same": drawn == expected}))
"""))
    assert report == {"events": 1, "spans": 1, "same": True}
