"""``otel-product-events run -- COMMAND``: runs an unmodified application with product events.

The launcher prepends the :mod:`bootstrap <otel_product_events.auto.bootstrap>` directory to
``PYTHONPATH`` and replaces itself with COMMAND. In the child, Python imports our
``sitecustomize`` at start-up, which chains to any other ``sitecustomize``, then calls
:func:`start_in_child`: the SDK is configured from the standard ``OTEL_*`` variables, as
:func:`~otel_product_events.configure` does, and the targets are instrumented. ``PYTHONPATH``
stays set, so Python processes the application starts are instrumented too (as with
``opentelemetry-instrument``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from otel_product_events import environment_variables as ev

if TYPE_CHECKING:  # (the bootstrap imports this module in every process: it stays light)
    import argparse

#: Holds only ``sitecustomize.py`` (and the ``__init__.py`` that ships it).
BOOTSTRAP_DIR = Path(__file__).resolve().parent / "bootstrap"

#: Exit status when COMMAND cannot be found or run, as in ``env`` and shells.
EXIT_NOT_FOUND = 127
EXIT_NOT_EXECUTABLE = 126


def add_parser(subparsers: Any) -> None:
    """Registers ``run`` with the ``otel-product-events`` command."""
    import argparse

    parser = subparsers.add_parser(
        "run", help="run a Python application with zero-code product events",
        description="Runs COMMAND (a Python program) with the OpenTelemetry SDK configured from "
                    "the standard OTEL_* variables and the targets of OTEL_PRODUCT_EVENTS_TRACK "
                    "and OTEL_PRODUCT_EVENTS_CATALOG instrumented. Example: otel-product-events "
                    "run --catalog catalog.yaml -- python app.py")
    parser.add_argument("--track", metavar="TARGETS",
                        help="module:qualname=event.name targets, comma-separated "
                             f"(sets {ev.OTEL_PRODUCT_EVENTS_TRACK})")
    parser.add_argument("--catalog", metavar="PATH",
                        help=f"event catalog YAML (sets {ev.OTEL_PRODUCT_EVENTS_CATALOG})")
    parser.add_argument("command", nargs=argparse.REMAINDER,
                        help="the command to run, after --")
    parser.set_defaults(handler=run)


def child_environment(environ: Mapping[str, str], *, track: str | None = None,
                      catalog: str | None = None) -> dict[str, str]:
    """The child's environment: the bootstrap first on ``PYTHONPATH``, the catalog path made
    absolute (the application may change directory), ``--track``/``--catalog`` applied."""
    env = dict(environ)
    if track is not None:
        env[ev.OTEL_PRODUCT_EVENTS_TRACK] = track
    if catalog is not None:
        env[ev.OTEL_PRODUCT_EVENTS_CATALOG] = catalog
    catalog_path = env.get(ev.OTEL_PRODUCT_EVENTS_CATALOG, "").strip()
    if catalog_path:
        env[ev.OTEL_PRODUCT_EVENTS_CATALOG] = os.path.abspath(os.path.expanduser(catalog_path))
    bootstrap = str(BOOTSTRAP_DIR)
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p and p != bootstrap]
    env["PYTHONPATH"] = os.pathsep.join([bootstrap, *paths])
    return env


def run(args: argparse.Namespace) -> int:
    """Replaces this process with the command (POSIX), or runs it and returns its status."""
    command: list[str] = list(args.command)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        print("otel-product-events run: no command given; usage: otel-product-events run "
              "[--track TARGETS] [--catalog PATH] -- python app.py", file=sys.stderr)
        return 2
    env = child_environment(os.environ, track=args.track, catalog=args.catalog)
    return execute(command, env)


def execute(command: Sequence[str], env: Mapping[str, str]) -> int:
    try:
        if os.name == "posix":
            sys.stdout.flush()
            sys.stderr.flush()
            os.execvpe(command[0], list(command), dict(env))  # does not return
        import subprocess

        return subprocess.call(list(command), env=dict(env))
    except FileNotFoundError:
        print(f"otel-product-events run: command not found: {command[0]}", file=sys.stderr)
        return EXIT_NOT_FOUND
    except PermissionError:
        print(f"otel-product-events run: cannot execute {command[0]}: permission denied",
              file=sys.stderr)
        return EXIT_NOT_EXECUTABLE


def start_in_child() -> None:
    """In the child, before the application: configure the SDK, instrument the targets.

    Never raises; with an opt-out variable set it does nothing at all.
    """
    from otel_product_events.auto import instrument
    from otel_product_events.auto.hooks import contained_error
    from otel_product_events.config import SETTINGS
    from otel_product_events.pipeline.providers import configure

    if not SETTINGS.enabled:
        return
    try:
        configure()
    except Exception as error:
        contained_error("launcher.configure", error)
    instrument()
