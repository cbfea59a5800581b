"""Bootstrap of ``otel-product-events run``, imported by Python's ``site`` at start-up.

It takes its own directory off ``sys.path``, runs the next ``sitecustomize`` on the path (the
one this file shadows, if any), then configures the SDK and instruments the targets. It never
raises: a failure here must not stop the application.

Every Python process the application starts runs this too, so it stays cheap: a process with
no target (neither variable set) imports nothing of ours, and is configured only if and when it
imports OpenTelemetry or this library (a post-import hook on those names), before it could send
anything.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

#: ``otel_product_events.environment_variables``' names, spelled here to import nothing.
_TARGET_VARIABLES = ("OTEL_PRODUCT_EVENTS_TRACK", "OTEL_PRODUCT_EVENTS_CATALOG")
#: Importing any of these means telemetry may be sent: configure first.
_TRIGGERS = frozenset({"otel_product_events", "opentelemetry.trace", "opentelemetry._logs",
                       "opentelemetry.metrics"})

_HERE = os.path.dirname(os.path.abspath(__file__))


def _chain_to_next_sitecustomize() -> None:
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", sys.path)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["sitecustomize"] = module  # what `import sitecustomize` would have given
    try:
        spec.loader.exec_module(module)
    except Exception:  # as site.py does for a failing sitecustomize
        import traceback

        sys.stderr.write(f"Error in sitecustomize ({spec.origin}):\n{traceback.format_exc()}")


class _RunAfter:
    """Loader that runs the real loader, then ``callback`` (once the module is complete)."""

    def __init__(self, loader: Any, callback: Callable[[], None]) -> None:
        self.loader = loader
        self.callback = callback

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        create: Any = getattr(self.loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module: ModuleType) -> None:
        module.__loader__ = self.loader  # the module sees its own loader, not ours
        if module.__spec__ is not None:
            module.__spec__.loader = self.loader
        self.loader.exec_module(module)
        self.callback()


class _WhenImported:
    """Meta-path finder: the first import of a trigger module calls ``callback`` after it.
    Importing this library imports it first (before the OpenTelemetry modules it uses), so
    the callback never runs inside a half-imported ``otel_product_events``."""

    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback = callback
        self.fired = False

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if self.fired or name not in _TRIGGERS:
            return None
        self.fired = True
        sys.meta_path[:] = [finder for finder in sys.meta_path if finder is not self]
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            self.callback()  # cannot run after it: run before it
            return spec
        after: Any = _RunAfter(spec.loader, self.callback)
        spec.loader = after
        return spec


def _targets_defined() -> bool:
    return any(os.environ.get(name, "").strip() for name in _TARGET_VARIABLES)


def _start() -> None:
    try:
        from otel_product_events.auto.launcher import start_in_child
    except Exception as error:
        sys.stderr.write(f"otel-product-events run: cannot import otel_product_events in "
                         f"{sys.executable} ({type(error).__name__}: {error}); the application "
                         "runs without product events\n")
        return
    start_in_child()


def _start_when_needed() -> None:
    if _targets_defined() or any(name in sys.modules for name in _TRIGGERS):
        _start()
    else:
        sys.meta_path.insert(0, _WhenImported(_start))


try:
    _chain_to_next_sitecustomize()
except Exception as error:
    sys.stderr.write(f"otel-product-events run: sitecustomize chain failed ({error!r})\n")
try:
    _start_when_needed()
except Exception as error:
    sys.stderr.write(f"otel-product-events run: start-up failed ({error!r})\n")
