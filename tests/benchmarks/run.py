"""Benchmark: the per-call cost of tracking, against hand-written OpenTelemetry and the peers.

    make bench        (or: .venv/bin/python tests/benchmarks/run.py [--rounds 30] [--json F])

Everything runs in ONE process with the real SDK (batch processors; exporters that accept and
drop, so the numbers are the cost on the caller's thread, as for the peers' enqueue). The
cases are interleaved round by round and each is reported as the median ns/call over the
rounds, with its ratio to the hand-written span + log-based event, the thing ``track``
replaces: the same span and the same record (the 5 declared attributes plus the metadata every
product event carries, with event ids from the library's own generator: ``uuid.uuid4()``
costs far more here, and would flatter us). A second hand-written row sends the 5 attributes
only, to show what the metadata costs. ``bare Logger.emit`` likewise emits the record
``pe.emit`` sends. Segment's ``analytics.track`` and PostHog's ``capture`` send to a closed
local port: their cost is the enqueue. Not part of the test run: machines are noisy.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import random
import socket
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
os.environ.setdefault("OTEL_PRODUCT_EVENTS_STATE_DIR", str(REPO / "bench-results" / "state"))

import wrapt  # noqa: E402
from opentelemetry import _logs, trace  # noqa: E402
from opentelemetry.sdk._logs import LoggerProvider  # noqa: E402
from opentelemetry.sdk._logs.export import (  # noqa: E402
    BatchLogRecordProcessor,
    LogRecordExporter,
    LogRecordExportResult,
)
from opentelemetry.sdk.trace import TracerProvider  # noqa: E402
from opentelemetry.sdk.trace.export import (  # noqa: E402
    BatchSpanProcessor,
    SpanExporter,
    SpanExportResult,
)

import otel_product_events as pe  # noqa: E402
from otel_product_events.ids import new_uuid7  # noqa: E402
from otel_product_events.privacy import consent  # noqa: E402
from otel_product_events.privacy.installation import installation_id  # noqa: E402

ATTRIBUTES = {"team.id": "team_id", "incident.id": "incident_id", "user.id": "user_id",
              "checklist.count": "checklists", "severity": "severity"}
ARGS = ("team-7", "inc-42", "user-3", 3, "high")


class DroppingSpanExporter(SpanExporter):
    def export(self, spans: Any) -> SpanExportResult:
        return SpanExportResult.SUCCESS


class DroppingLogExporter(LogRecordExporter):
    def export(self, batch: Any) -> LogRecordExportResult:
        return LogRecordExportResult.SUCCESS

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def install_sdk() -> None:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(DroppingSpanExporter()))
    trace.set_tracer_provider(tracer_provider)
    logger_provider = LoggerProvider()
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(DroppingLogExporter()))
    _logs.set_logger_provider(logger_provider)


def create_incident(team_id: str, incident_id: str, user_id: str, checklists: int,
                    severity: str) -> str:
    return incident_id


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens here any more


def build_cases() -> dict[str, Callable[[], object]]:
    tracer = trace.get_tracer("bench.handwritten")
    logger = _logs.get_logger("bench.handwritten")

    def handwritten_span(*args: Any) -> str:
        with tracer.start_as_current_span("create_incident"):
            return create_incident(*args)

    installation = installation_id()
    function_name = f"{__name__}.create_incident"

    def handwritten_span_and_event(team_id: str, incident_id: str, user_id: str,
                                   checklists: int, severity: str) -> str:
        """What track does, written by hand: the same span and the same record."""
        with tracer.start_as_current_span("create_incident",
                                          attributes={"code.function.name": function_name}):
            result = create_incident(team_id, incident_id, user_id, checklists, severity)
            logger.emit(event_name="incident.created", timestamp=time.time_ns(), attributes={
                "team.id": team_id, "incident.id": incident_id, "user.id": user_id,
                "checklist.count": checklists, "severity": severity,
                "code.function.name": function_name, "product.outcome": "success",
                "log.record.uid": new_uuid7(), "app.installation.id": installation})
            return result

    def handwritten_minimal(team_id: str, incident_id: str, user_id: str, checklists: int,
                            severity: str) -> str:
        """A span and an event with the 5 attributes only (no event metadata at all)."""
        with tracer.start_as_current_span("create_incident"):
            result = create_incident(team_id, incident_id, user_id, checklists, severity)
            logger.emit(event_name="incident.created", timestamp=time.time_ns(), attributes={
                "team.id": team_id, "incident.id": incident_id, "user.id": user_id,
                "checklist.count": checklists, "severity": severity})
            return result

    passthrough = wrapt.FunctionWrapper(create_incident,
                                        lambda wrapped, instance, args, kwargs: wrapped(*args,
                                                                                        **kwargs))
    tracked = pe.track("incident.created", attributes=ATTRIBUTES)(create_incident)
    tracked_no_span = pe.track("incident.created", attributes=ATTRIBUTES, span=False)(
        create_incident)
    values = dict(zip(ATTRIBUTES, ARGS, strict=True))

    def bare_emit() -> None:
        """The record pe.emit sends, emitted directly on the SDK logger."""
        logger.emit(event_name="incident.created", timestamp=time.time_ns(), attributes={
            **values, "log.record.uid": new_uuid7(), "app.installation.id": installation})

    cases: dict[str, Callable[[], object]] = {
        "bare call": lambda: create_incident(*ARGS),
        "wrapt pass-through": lambda: passthrough(*ARGS),
        "hand-written span": lambda: handwritten_span(*ARGS),
        "hand-written span + event": lambda: handwritten_span_and_event(*ARGS),
        "  same, 5 attributes only": lambda: handwritten_minimal(*ARGS),
        "track (enabled)": lambda: tracked(*ARGS),
        "track(span=False)": lambda: tracked_no_span(*ARGS),
        "track (opted out)": lambda: _disabled(tracked),
        "bare Logger.emit": bare_emit,
        "pe.emit": lambda: pe.emit("incident.created", values),
    }
    cases.update(_peers(values))
    return cases


def _disabled(tracked: Callable[..., object]) -> object:
    return tracked(*ARGS)


def _peers(values: dict[str, Any]) -> dict[str, Callable[[], object]]:
    peers: dict[str, Callable[[], object]] = {}
    try:
        import segment.analytics as segment

        segment_client = segment.Client(write_key="bench", host=closed_port_url(),
                                        max_queue_size=10**7, send=True, sync_mode=False)
        peers["Segment analytics.track"] = lambda: segment_client.track(
            user_id="user-3", event="incident.created", properties=values)
    except ImportError:
        print("(segment-analytics-python not installed: skipped)", file=sys.stderr)
    try:
        import posthog

        posthog_client = posthog.Posthog("bench", host=closed_port_url(), max_queue_size=10**7)
        peers["PostHog capture"] = lambda: posthog_client.capture(
            "incident.created", distinct_id="user-3", properties=values)
    except ImportError:
        print("(posthog not installed: skipped)", file=sys.stderr)
    return peers


DISABLED_CASES = {"track (opted out)"}


def measure(case: Callable[[], object], calls: int, disabled: bool) -> float:
    consent.SWITCH.on = not disabled
    try:
        start = time.perf_counter_ns()
        for _ in range(calls):
            case()
        return (time.perf_counter_ns() - start) / calls
    finally:
        consent.SWITCH.on = True


def run(rounds: int, calls: int) -> dict[str, list[float]]:
    cases = build_cases()
    samples: dict[str, list[float]] = {name: [] for name in cases}
    names = list(cases)
    for name in names:  # warm-up
        measure(cases[name], calls // 4, name in DISABLED_CASES)
    for round_number in range(rounds):
        random.Random(round_number).shuffle(names)
        for name in names:
            gc.collect()
            samples[name].append(measure(cases[name], calls, name in DISABLED_CASES))
    return samples


REFERENCE = "hand-written span + event"
TARGETS = {  # case: (reference case, maximum ratio) from issue #7
    "track (enabled)": (REFERENCE, 1.15),
    "track (opted out)": ("wrapt pass-through", 1.5),
    "pe.emit": ("bare Logger.emit", 1.1),
}


def summarize(samples: dict[str, list[float]]) -> list[dict[str, Any]]:
    medians = {name: statistics.median(values) for name, values in samples.items()}
    rows = []
    for name, median in medians.items():
        row: dict[str, Any] = {
            "case": name, "ns_per_call": round(median), "ratio_to_span_and_event":
            round(median / medians[REFERENCE], 3),
            "spread_ns": round(statistics.quantiles(samples[name], n=4)[2]
                               - statistics.quantiles(samples[name], n=4)[0]),
        }
        if name in TARGETS:
            reference, limit = TARGETS[name]
            ratio = median / medians[reference]
            row["target"] = f"<= {limit}x {reference}"
            row["ratio_to_target_reference"] = round(ratio, 3)
            row["meets_target"] = ratio <= limit
        rows.append(row)
    return rows


def machine() -> dict[str, Any]:
    return {"python": platform.python_version(), "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count()}


def print_table(rows: Sequence[dict[str, Any]]) -> None:
    print(f"{'case':<28} {'ns/call':>9} {'vs span+event':>14}  target")
    for row in rows:
        target = ""
        if "target" in row:
            mark = "ok" if row["meets_target"] else "MISSED"
            target = f"{row['ratio_to_target_reference']:.2f}x ({row['target']}) {mark}"
        print(f"{row['case']:<28} {row['ns_per_call']:>9,} {row['ratio_to_span_and_event']:>13.2f}x"
              f"  {target}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--calls", type=int, default=2000, help="calls per case per round")
    parser.add_argument("--json", type=Path, default=REPO / "bench-results" / "bench.json")
    args = parser.parse_args(argv)
    install_sdk()
    samples = run(args.rounds, args.calls)
    rows = summarize(samples)
    print_table(rows)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"machine": machine(), "rounds": args.rounds,
                                     "calls_per_round": args.calls, "results": rows}, indent=2))
    print(f"\nwritten to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
