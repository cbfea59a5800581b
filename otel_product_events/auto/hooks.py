"""Applies zero-code targets with wrapt post-import hooks, and takes them off again.

A target is wrapped the moment its module finishes importing, or at once when it already has:
import order does not matter, and no module is imported early. The wrapper is the one
``@track`` uses (:func:`~otel_product_events.instrument.api.track_wrapper` in a
:class:`~otel_product_events.instrument.api.TrackedFunction`), installed with
``wrapt.wrap_object`` at the owning module or class, so events are identical to the decorated ones.

An exception escaping a post-import hook would fail the application's own ``import``, so every
hook catches everything: a bad target is logged once, by name, and the others still work.
"""

from __future__ import annotations

import atexit
import importlib.machinery
import importlib.util
import inspect
import logging
import sys
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from types import ModuleType
from typing import Any

import wrapt

from otel_product_events import guard
from otel_product_events.catalog.targets import Target
from otel_product_events.instrument.api import TrackedFunction, track_wrapper

_log = logging.getLogger("otel_product_events")


@dataclass(frozen=True, slots=True)
class Patch:
    """One applied target: ``parent.attribute`` now holds ``handle``."""

    target: Target
    parent: Any
    attribute: str
    handle: TrackedFunction


class Instrumentation:
    """The targets of one :func:`~otel_product_events.auto.instrument` call."""

    def __init__(self, targets: Iterable[Target]) -> None:
        self.targets = tuple(targets)
        self._lock = threading.Lock()
        self._active = False
        self._patches: list[Patch] = []
        self._settled: set[str] = set()  # functions applied, or reported as bad

    @property
    def active(self) -> bool:
        """Started and not stopped."""
        return self._active

    @property
    def patches(self) -> tuple[Patch, ...]:
        """What is wrapped right now."""
        with self._lock:
            return tuple(self._patches)

    def start(self) -> None:
        """Registers one post-import hook per target module (run at once if it is imported)."""
        with self._lock:
            self._active = True
            self._settled.clear()
        by_module: dict[str, list[Target]] = {}
        for target in self.targets:
            by_module.setdefault(target.module, []).append(target)
        atexit.register(self.report_unimported)
        for module_name, targets in by_module.items():
            try:
                wrapt.register_post_import_hook(partial(self._on_import, targets), module_name)
            except Exception as error:
                contained_error("register_hook", error)

    def stop(self) -> None:
        """Unwraps every applied target; hooks still pending become inert."""
        with self._lock:
            self._active = False
            patches, self._patches = self._patches, []
        atexit.unregister(self.report_unimported)
        for patch in reversed(patches):
            try:
                wrapt.unwrap_object(patch.parent, patch.attribute, patch.handle, missing_ok=True)
            except Exception as error:  # e.g. someone wrapped it again on top of ours
                guard.warn(f"auto-unwrap:{patch.target.function}",
                           "otel_product_events: could not take tracking off %s (%s); it keeps "
                           "emitting until the process ends or it is switched off.",
                           patch.target.describe(), type(error).__name__)

    def _on_import(self, targets: Sequence[Target], module: ModuleType) -> None:
        # Runs inside the application's import statement: it must never raise, and one
        # target's failure must not cost the others.
        for target in targets:
            try:
                self._apply_once(target, module)
            except Exception as error:
                contained_error("post_import_hook", error)

    def _apply_once(self, target: Target, module: ModuleType) -> None:
        with self._lock:
            if not self._active or target.function in self._settled:
                return
            self._settled.add(target.function)
        patch = _apply(target, module)
        if patch is None:
            return
        with self._lock:
            self._patches.append(patch)
            still_active = self._active
        if not still_active:  # stopped while we were wrapping: take it off again
            self.stop()

    def report_unimported(self) -> None:
        """At exit: warns about targets whose module does not exist (it can only be told once
        the application has set up ``sys.path``); modules merely not imported are fine."""
        try:
            with self._lock:
                pending = [t for t in self.targets
                           if t.function not in self._settled and t.module not in sys.modules]
            for target in pending:
                if module_exists(target.module) is False:
                    skipped(target, f"there is no module {target.module!r} (checked at exit, "
                                    "with the application's sys.path); fix the module path")
        except Exception as error:
            contained_error("report_unimported", error)


def _apply(target: Target, module: ModuleType) -> Patch | None:
    """Wraps one target in its freshly imported module; None (and a warning) when it cannot."""
    try:
        parent, attribute, original = wrapt.resolve_path(module, target.qualname)
    except AttributeError:  # wrapt.PathResolutionError
        skipped(target, f"module {target.module!r} has no {target.qualname!r}; check the name "
                        "(a function, Class.method, Class.classmethod or Class.staticmethod)")
        return None
    problem = _not_trackable(original)
    if problem is not None:
        skipped(target, problem)
        return None

    def report(message: str) -> None:
        guard.warn(f"auto-source:{target.function}:{message}",
                   "otel_product_events: %s: %s.", target.origin, message)

    wrapper = track_wrapper(original, target.event_name, target.attributes, report=report)
    handle: TrackedFunction = wrapt.wrap_object(parent, attribute, TrackedFunction, (wrapper,))
    _log.debug("otel_product_events: tracking %s", target.describe())
    return Patch(target, parent, attribute, handle)


def _not_trackable(original: object) -> str | None:
    if inspect.isclass(original):
        return (f"it is a class, not a function; target one of its methods "
                f"(e.g. {getattr(original, '__qualname__', 'Class')}.__init__)")
    function = getattr(original, "__func__", original)  # classmethod / staticmethod objects
    if not callable(function):
        return f"it is a {type(original).__name__}, not a function, so it cannot be tracked"
    try:
        tracked = wrapt.find_wrapper(original, predicate=lambda w: isinstance(w, TrackedFunction))
    except Exception:
        tracked = None
    if tracked is not None:
        return "it is already tracked (decorated with @track, or targeted twice)"
    return None


def skipped(target: Target, reason: str) -> None:
    """The one warning for a target that cannot be applied."""
    guard.count("targets_skipped")
    guard.warn(f"auto-target:{target.function}",
               "otel_product_events: target %s is skipped: %s. The application and the other "
               "targets run as usual.", target.describe(), reason)


def contained_error(kind: str, error: BaseException) -> None:
    """Our own failure at a boundary that must not raise (import hooks, the instrumentor),
    even in strict mode: counted and logged, never raised."""
    guard.count("internal_errors")
    guard.warn(f"auto:{kind}", "otel_product_events: internal error in %s (%s). Your code still "
               "runs, with less telemetry.", kind, type(error).__name__)
    _log.debug("internal error in %s", kind, exc_info=error)


def module_exists(name: str) -> bool | None:
    """Whether ``name`` can be imported, found without importing it or its packages;
    None when that cannot be told (an unusual import hook)."""
    try:
        parts = name.split(".")
        top = sys.modules.get(parts[0])
        spec = top.__spec__ if top is not None else importlib.util.find_spec(parts[0])
        for depth in range(1, len(parts)):
            if spec is None:
                return False
            parent = sys.modules.get(".".join(parts[:depth]))
            locations = getattr(parent, "__path__", None) or spec.submodule_search_locations
            if locations is None:
                return False
            spec = importlib.machinery.PathFinder.find_spec(".".join(parts[:depth + 1]),
                                                            list(locations))
        return spec is not None
    except Exception:
        return None
