"""Every Python process started under the launcher runs its bootstrap: one with no target
imports nothing of ours until it imports OpenTelemetry or this library, and is configured then,
before it could send anything. (Start-up time itself: tests/benchmarks/startup.py.)"""

from __future__ import annotations

import sys

from tests.auto.test_launcher import run

IMPORTED = ("import sys; print(sorted(m for m in ('otel_product_events', 'opentelemetry', "
            "'wrapt', 'requests', 'grpc') if m in sys.modules))")


def test_a_process_without_targets_imports_nothing_of_ours() -> None:
    done = run(sys.executable, "-c", IMPORTED)
    assert (done.stdout, done.stderr) == ("[]\n", "")


def test_importing_opentelemetry_configures_the_sdk_first() -> None:
    done = run(sys.executable, "-c", "from opentelemetry import trace, _logs; "
               "print(type(trace.get_tracer_provider()).__name__, "
               "type(_logs.get_logger_provider()).__name__)")
    assert (done.stdout, done.stderr) == ("TracerProvider LoggerProvider\n", "")


def test_importing_this_library_configures_the_sdk_first() -> None:
    done = run(sys.executable, "-c", "import otel_product_events as pe; "
               "from opentelemetry import trace; "
               "print(type(trace.get_tracer_provider()).__name__, callable(pe.track))")
    assert (done.stdout, done.stderr) == ("TracerProvider True\n", "")


def test_a_process_with_targets_is_instrumented_at_start() -> None:
    done = run(sys.executable, "-c", "import sys; print('otel_product_events' in sys.modules)",
               env={"OTEL_PRODUCT_EVENTS_TRACK": "json:dumps=json.dumped"})
    assert (done.stdout, done.stderr) == ("True\n", "")


#: What a process with targets need not import before its program starts: the OTLP exporters
#: (built on the first export), the metrics SDK (on the first meter), the recorders and the
#: catalog's model (when a target's module is imported, or a catalog named), wrapt (to wrap).
DEFERRED = ("wrapt", "requests", "grpc", "google.protobuf", "opentelemetry.sdk.metrics",
            "opentelemetry.exporter.otlp.proto", "otel_product_events.instrument",
            "otel_product_events.catalog.model")
EXPORTERS = ("requests", "grpc", "google.protobuf", "opentelemetry.exporter.otlp.proto")
PROBE = f"""
import sys
def imported(names):
    return sorted({{m for m in sys.modules for d in names if m.startswith(d)}})
at_start = imported({DEFERRED!r})
import colorsys  # the target's module: its recorder comes with it
print(at_start, "otel_product_events.instrument.recorders" in sys.modules, "wrapt" in sys.modules,
      imported({EXPORTERS!r}))
"""


def test_a_process_with_targets_starts_with_the_sdk_and_its_hooks_only() -> None:
    """Start-up (tests/benchmarks/startup.py measures it) configures the SDK, with its OTLP
    exporters, and registers the hooks; a target's recorder comes with its module, wrapt only
    where targets are wrapped (before 3.12), and an exporter only with something to send."""
    done = run(sys.executable, "-c", PROBE,
               env={"OTEL_PRODUCT_EVENTS_TRACK": "colorsys:rgb_to_hsv=color.converted",
                    "OTEL_TRACES_EXPORTER": "otlp", "OTEL_LOGS_EXPORTER": "otlp",
                    "OTEL_METRICS_EXPORTER": "otlp",
                    "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9"})
    assert done.stderr == ""
    wrapped = sys.version_info < (3, 12)
    assert done.stdout == f"[] True {wrapped} []\n"


def test_the_bootstrap_spells_our_variable_names_right() -> None:
    """It names them itself (importing the package would cost the start-up time it saves)."""
    import ast

    from otel_product_events import environment_variables as ev
    from otel_product_events.auto.launcher import BOOTSTRAP_DIR

    tree = ast.parse((BOOTSTRAP_DIR / "sitecustomize.py").read_text())
    (names,) = [ast.literal_eval(node.value) for node in tree.body
                if isinstance(node, ast.Assign) and ast.unparse(node.targets[0])
                == "_TARGET_VARIABLES"]
    assert names == (ev.OTEL_PRODUCT_EVENTS_TRACK, ev.OTEL_PRODUCT_EVENTS_CATALOG)
