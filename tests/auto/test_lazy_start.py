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
