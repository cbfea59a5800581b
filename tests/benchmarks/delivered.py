"""Benchmark: CPU per DELIVERED event, counting the trackers' background work (issue #17).

    python tests/benchmarks/delivered.py [--events N] [--rounds R] [--only NAME,...] [--json [F]]
                                         [--cpu N]

The per-call benchmark (run.py) times what the caller waits for; an application also pays for
what its tracker does afterwards on its own threads (encoding, compressing, sending), under the
same GIL. Here each tracker runs in a fresh process (delivered_trackers.py) that emits N events
with the same 5 user properties, then flushes and shuts down, sending for real to a local sink
in another process (delivery_sink.py) that decodes each tracker's format and counts what
arrived. Per tracker and round:

- CPU = the child's user+sys time (``os.wait4``: all threads, start to exit) minus that of the
  same child emitting nothing (import, configure, flush, shutdown, exit), divided by the events
  the sink counted; the median of the rounds is reported. CPU time, unlike wall time, hardly
  moves when other work shares the machine's cores, with one exception: a tracker whose
  sending thread wakes for every event (Segment, PostHog) pays more for it when a second core
  is free. ``--cpu N`` holds each tracker's process on core N, which takes that out.
- delivered: events counted by the sink (spans too, for the span + event cases); anything but
  N is reported loudly and makes the exit status 1.
- wall time from the first emit to the last request carrying events reaching the sink.
- peak RSS: the child's ``ru_maxrss``.

Our library runs with a fresh state directory in a temp dir per process (nothing of the user's
is read or written, and no earlier run's spool is there to resend) and the interpreter's
installed ``otel_product_events``. Not part of the test run: timings are not tests.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from delivery_sink import Sink  # noqa: E402

CHILD = HERE / "delivered_trackers.py"


@dataclass(frozen=True)
class Tracker:
    label: str
    #: The sink's counter for this tracker's events.
    kind: str
    #: Also counts spans (one per event).
    spans: bool = False
    #: The module that must be importable (the peers are optional: the `bench` extra).
    needs: str | None = None


TRACKERS: dict[str, Tracker] = {
    "segment": Tracker("Segment `track`", "segment", needs="segment.analytics"),
    "posthog": Tracker("PostHog `capture`", "posthog", needs="posthog"),
    "snowplow": Tracker("Snowplow (`AsyncEmitter`, POST, structured event)", "snowplow",
                        needs="snowplow_tracker"),
    "otel-emit": Tracker("hand-written OTel `Logger.emit` + batch + OTLP/HTTP", "logs"),
    "otel-span-event": Tracker("hand-written OTel span + event, both exported", "logs",
                               spans=True),
    "pe-emit": Tracker("`pe.emit`", "logs"),
    "pe-track-nospan": Tracker("`pe.track(span=False)`", "logs"),
    "pe-track": Tracker("`pe.track` (span + event, both exported)", "logs", spans=True),
}
REFERENCES = {"x hand-written `Logger.emit`": "otel-emit", "x Segment": "segment"}


@dataclass
class Run:
    events: int
    cpu_s: float
    sys_s: float
    max_rss_kib: int
    exit_code: int
    counts: dict[str, Any]
    report: dict[str, Any] = field(default_factory=dict)
    stderr: str = ""


def child_environment(state_dir: str) -> dict[str, str]:
    """The parent's environment without anything that would redirect or reconfigure a
    tracker (OTEL_*, our OTEL_PRODUCT_EVENTS_*, POSTHOG_*), with a private state dir."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OTEL_", "POSTHOG_")) and k != "DO_NOT_TRACK"}
    env["OTEL_PRODUCT_EVENTS_STATE_DIR"] = state_dir
    return env


def run_child(name: str, events: int, sink: Sink, timeout_s: float,
              cpu: int | None = None) -> Run:
    tracker = TRACKERS[name]
    state_dir = tempfile.mkdtemp(prefix="delivered-state-")
    try:
        sink.reset()
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            process = subprocess.Popen([sys.executable, str(CHILD), name, str(events), sink.url],
                                       stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                       env=child_environment(state_dir),
                                       preexec_fn=None if cpu is None else
                                       lambda: os.sched_setaffinity(0, {cpu}))
            watchdog = threading.Timer(timeout_s, process.kill)
            watchdog.start()
            try:
                # wait4, not wait(): the child's own rusage, all its threads, start to exit.
                _, status, usage = os.wait4(process.pid, 0)
            finally:
                watchdog.cancel()
            process.returncode = os.waitstatus_to_exitcode(status)
            out.seek(0)
            err.seek(0)
            lines = out.read().decode(errors="replace").strip().splitlines()
            stderr = err.read().decode(errors="replace")
        counts = sink.settled_counts(events, tracker.kind)
        report = json.loads(lines[-1]) if lines and process.returncode == 0 else {}
        return Run(events, usage.ru_utime + usage.ru_stime, usage.ru_stime, usage.ru_maxrss,
                   process.returncode, counts, report, stderr)
    finally:
        shutil.rmtree(state_dir, ignore_errors=True)


@dataclass
class Round:
    full: Run
    baseline: Run

    def delivered(self, tracker: Tracker) -> int:
        return int(self.full.counts[tracker.kind])

    def cpu_us_per_event(self, tracker: Tracker) -> float | None:
        delivered = self.delivered(tracker)
        if not delivered:
            return None
        return (self.full.cpu_s - self.baseline.cpu_s) / delivered * 1e6

    def wall_s(self) -> float | None:
        arrival, first = self.full.counts.get("last_arrival"), self.full.report.get("first_emit")
        return None if arrival is None or first is None else arrival - first


def available(names: Sequence[str]) -> list[str]:
    chosen = []
    for name in names:
        needs = TRACKERS[name].needs
        if needs is not None and importlib.util.find_spec(needs.split(".")[0]) is None:
            print(f"({name}: {needs} is not installed, skipped; pip install -e '.[bench]')",
                  file=sys.stderr)
            continue
        chosen.append(name)
    return chosen


def measure(names: Sequence[str], events: int, rounds: int, timeout_s: float = 600.0,
            cpu: int | None = None) -> dict[str, list[Round]]:
    results: dict[str, list[Round]] = {name: [] for name in names}
    order = list(names)
    with Sink() as sink:
        for number in range(rounds):
            random.Random(number).shuffle(order)  # no tracker always runs first or last
            for name in order:
                print(f"round {number + 1}/{rounds}: {name}", file=sys.stderr, flush=True)
                baseline = run_child(name, 0, sink, timeout_s, cpu)
                full = run_child(name, events, sink, timeout_s, cpu)
                results[name].append(Round(full, baseline))
    return results


def _median(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def summarize(results: dict[str, list[Round]], events: int) -> list[dict[str, Any]]:
    rows = []
    for name, rounds in results.items():
        tracker = TRACKERS[name]
        problems = []
        for number, one in enumerate(rounds, 1):
            for run in (one.full, one.baseline):
                if run.exit_code != 0:
                    problems.append(f"round {number}: exit code {run.exit_code} "
                                    f"({run.events} events): {run.stderr.strip()[-500:]}")
                if run.counts["errors"] or run.counts["other"]:
                    problems.append(f"round {number}: the sink saw {run.counts['errors']} "
                                    f"undecodable bodies, {run.counts['other']} unknown paths")
            if one.baseline.counts[tracker.kind]:
                problems.append(f"round {number}: the baseline delivered "
                                f"{one.baseline.counts[tracker.kind]} events")
            if one.delivered(tracker) != events:
                problems.append(f"round {number}: delivered {one.delivered(tracker)} of {events}")
            if tracker.spans and one.full.counts["spans"] != events:
                problems.append(f"round {number}: delivered {one.full.counts['spans']} spans "
                                f"of {events}")
        rows.append({
            "tracker": name,
            "label": tracker.label,
            "cpu_us_per_event": _median([r.cpu_us_per_event(tracker) for r in rounds]),
            "delivered": [r.delivered(tracker) for r in rounds],
            "spans_delivered": [r.full.counts["spans"] for r in rounds] if tracker.spans
            else None,
            "wall_s": _median([r.wall_s() for r in rounds]),
            "peak_rss_mib": _median([r.full.max_rss_kib / 1024 for r in rounds]),
            "baseline_rss_mib": _median([r.baseline.max_rss_kib / 1024 for r in rounds]),
            "emit_s": _median([r.full.report.get("emit_s") for r in rounds]),
            "flush_s": _median([r.full.report.get("flush_s") for r in rounds]),
            "cpu_s": [round(r.full.cpu_s, 3) for r in rounds],
            "sys_s": [round(r.full.sys_s, 3) for r in rounds],
            "baseline_cpu_s": [round(r.baseline.cpu_s, 3) for r in rounds],
            "requests": [r.full.counts["requests"] for r in rounds],
            "problems": problems,
        })
    by_name = {row["tracker"]: row for row in rows}
    for row in rows:
        for column, reference in REFERENCES.items():
            base = by_name.get(reference, {}).get("cpu_us_per_event")
            mine = row["cpu_us_per_event"]
            row[column] = None if not base or mine is None else mine / base
    rows.sort(key=lambda row: (row["cpu_us_per_event"] is None, row["cpu_us_per_event"] or 0))
    return rows


def _number(value: float | None, digits: int) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def markdown(rows: Sequence[dict[str, Any]], events: int) -> str:
    lines = ["| tracker | CPU us per delivered event | " + " | ".join(REFERENCES)
             + " | delivered | wall to deliver (s) | peak RSS (MiB) |",
             "|---|---:|" + "---:|" * len(REFERENCES) + "---:|---:|---:|"]
    for row in rows:
        delivered = row["delivered"]
        shown = f"{delivered[0]:,}" if len(set(delivered)) == 1 else \
            "/".join(f"{d:,}" for d in delivered)
        if any(d != events for d in delivered):
            shown = f"**{shown} of {events:,}**"
        ratios = " | ".join(_number(row[column], 2) for column in REFERENCES)
        lines.append(f"| {row['label']} | {_number(row['cpu_us_per_event'], 1)} | {ratios} | "
                     f"{shown} | {_number(row['wall_s'], 2)} | "
                     f"{_number(row['peak_rss_mib'], 0)} |")
    return "\n".join(lines)


#: Distributions whose versions the results name.
DISTRIBUTIONS = ("otel-product-events", "opentelemetry-sdk",
                 "opentelemetry-exporter-otlp-proto-http", "segment-analytics-python", "posthog",
                 "snowplow-tracker")


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in DISTRIBUTIONS:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            found[name] = None
    # The children import the interpreter's own copy: say which (a worktree's editable install).
    spec = importlib.util.find_spec("otel_product_events")
    found["otel_product_events from"] = str(Path(spec.origin).parent) if spec and spec.origin \
        else None
    return found


def machine() -> dict[str, Any]:
    return {"python": platform.python_version(), "platform": platform.platform(),
            "cpus": os.cpu_count(), "load_average": os.getloadavg()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=10_000, help="events per tracker run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="",
                        help=f"comma-separated trackers, of: {', '.join(TRACKERS)}")
    parser.add_argument("--cpu", type=int, metavar="N",
                        help="pin each tracker's process to CPU N (all its threads on one core)")
    parser.add_argument("--json", nargs="?", const="-", metavar="FILE",
                        help="also write the results as JSON to FILE (stdout without FILE, "
                             "instead of the table)")
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()] or list(TRACKERS)
    unknown = [n for n in names if n not in TRACKERS]
    if unknown:
        parser.error(f"unknown trackers {unknown}; choose from {', '.join(TRACKERS)}")
    names = available(names)
    results = measure(names, args.events, args.rounds, cpu=args.cpu)
    rows = summarize(results, args.events)
    document = {"machine": machine(), "versions": versions(), "events": args.events,
                "rounds": args.rounds, "pinned_to_cpu": args.cpu, "results": rows,
                "raw": {name: [{"full": asdict(r.full), "baseline": asdict(r.baseline)}
                               for r in rounds] for name, rounds in results.items()}}
    if args.json == "-":
        print(json.dumps(document, indent=2))
    else:
        print(f"{args.events:,} events per tracker, median of {args.rounds} rounds; "
              f"Python {platform.python_version()}, {os.cpu_count()} CPUs; "
              + ", ".join(f"{k} {v}" for k, v in document["versions"].items() if v))
        print()
        print(markdown(rows, args.events))
        if args.json:
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(json.dumps(document, indent=2))
            print(f"\nwritten to {args.json}")
    problems = [f"{row['tracker']}: {p}" for row in rows for p in row["problems"]]
    for problem in problems:
        print(f"!!! {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
