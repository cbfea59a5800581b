"""Post-import hooks: run a function on a module once it is imported, without importing it.

:func:`when_imported` calls the hook at once when the module is imported already, else right
after its import finishes, before the importing statement goes on. This is what wrapt's
``register_post_import_hook`` does, without importing wrapt: with the ``asyncio`` and
``importlib.metadata`` it brings, that is about 30 ms of every instrumented process's start-up,
which code-object tracking (3.12+) never needs, and wrapping needs only once a target's module
is imported.

One meta-path finder, first on ``sys.meta_path``, answers only for watched names: it asks the
other finders for the spec (as ``importlib.util.find_spec`` does) and wraps its loader so the
hooks run after ``exec_module`` (or the legacy ``load_module``). The wrapper hands every other
attribute to the real loader (``runpy`` asks it for ``get_code``), and the module and its spec
name the real loader, never ours. Each hook runs once; a module reloaded later is not hooked
again. An exception from a hook would fail the application's import: ours catch everything,
and one that escapes all the same is counted and logged here, never raised.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

from otel_product_events import guard

Hook = Callable[[ModuleType], None]


class _Hooks:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.waiting: dict[str, list[Hook]] = {}
        self.finder: _Finder | None = None


_hooks = _Hooks()


def when_imported(name: str, hook: Hook) -> None:
    """Calls ``hook(module)`` once the module ``name`` is imported (now, if it is)."""
    with _hooks.lock:
        module = sys.modules.get(name)
        if module is None:
            _hooks.waiting.setdefault(name, []).append(hook)
            if _hooks.finder is None or _hooks.finder not in sys.meta_path:
                _hooks.finder = _Finder()
                sys.meta_path.insert(0, _hooks.finder)
    if module is not None:
        _run(hook, module)


def _imported(module: ModuleType) -> None:
    with _hooks.lock:
        hooks = _hooks.waiting.pop(getattr(module, "__name__", ""), ())
    for hook in hooks:
        _run(hook, module)


def _run(hook: Hook, module: ModuleType) -> None:
    try:
        hook(module)
    except Exception as error:  # (even in strict mode: this is the application's import)
        guard.count("internal_errors")
        guard.warn("post-import", "otel_product_events: internal error in a post-import hook "
                   "of %s (%s). Your code still runs, with less telemetry.",
                   module.__name__, type(error).__name__)


class _Finder:
    """Finds nothing itself: wraps the loader the other finders find for a watched name."""

    def __init__(self) -> None:
        self.busy = threading.local()  # the names this thread is looking up through us

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        with _hooks.lock:
            if name not in _hooks.waiting:
                return None
        busy: set[str] = self.busy.__dict__.setdefault("names", set())
        if name in busy:
            return None
        busy.add(name)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            busy.discard(name)
        loader = getattr(spec, "loader", None)
        if spec is not None and loader is not None and not isinstance(loader, _HookingLoader):
            # A loader with only the old load_module (3.10/3.11) must not look like one that
            # executes modules: the import system would call an exec_module it lacks.
            hooking = _ExecutingHookingLoader if hasattr(loader, "exec_module") else _HookingLoader
            spec.loader = hooking(loader)  # type: ignore[assignment]  # (it loads)
        return spec


class _HookingLoader:
    """The real loader, plus the hooks once the module has run (a loader of the old protocol,
    with only ``load_module``)."""

    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)

    def load_module(self, name: str) -> ModuleType:
        module: ModuleType = self._loader.load_module(name)
        self._restore(module)
        _imported(module)
        return module

    def _restore(self, module: ModuleType) -> None:
        # The module (and its spec) name the real loader: importlib.resources, inspect and
        # pickle read it there.
        if getattr(module, "__loader__", None) is self:
            module.__loader__ = self._loader
        spec = getattr(module, "__spec__", None)
        if spec is not None and spec.loader is self:
            spec.loader = self._loader


class _ExecutingHookingLoader(_HookingLoader):
    """The same, for a loader of today's protocol (``create_module`` / ``exec_module``)."""

    def create_module(self, spec: Any) -> ModuleType | None:
        create = getattr(self._loader, "create_module", None)
        return create(spec) if create is not None else None

    def exec_module(self, module: ModuleType) -> None:
        self._restore(module)
        self._loader.exec_module(module)
        _imported(module)
