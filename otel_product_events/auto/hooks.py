"""Applies zero-code targets with post-import hooks (:mod:`.post_import`), and takes them off
again.

A target is applied the moment its module finishes importing, or at once when it already has:
import order does not matter, and no module is imported early. Two engines, one recorder (the
one ``@track`` uses), so events are identical to the decorated ones:

* Python 3.12+: the target's code object is instrumented with ``sys.monitoring``
  (:mod:`.monitoring`); nothing is replaced, and every call emits, whichever reference made it.
* Python 3.10/3.11, or no free monitoring tool id: the wrapper of ``@track``
  (:func:`~otel_product_events.instrument.api.track_wrapper` in a
  :class:`~otel_product_events.instrument.api.TrackedFunction`) replaces the attribute of the
  owning module or class, and the framework registrations of :mod:`.registries` wrap a target
  where it is registered. A target whose original the application still holds elsewhere, and
  that never fired, is named in one warning at exit.

An exception escaping a post-import hook would fail the application's own ``import``, so every
hook catches everything: a bad target is logged once, by name, and the others still work.

Start-up only registers the hooks: the recorders (``instrument/``) are imported when a target's
module is, and wrapt only by the wrapping engine, when it wraps.
"""

from __future__ import annotations

import atexit
import contextlib
import gc
import importlib.machinery
import importlib.util
import inspect
import logging
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from types import CodeType, FrameType, ModuleType
from typing import TYPE_CHECKING, Any, Final, Literal

from otel_product_events import guard
from otel_product_events.catalog.targets import Target

from . import monitoring, post_import, registries

if TYPE_CHECKING:
    from otel_product_events.attributes import AttributeSource
    from otel_product_events.instrument.tracking import TrackRecorder

_log = logging.getLogger("otel_product_events")


#: ``auto``: code objects where ``sys.monitoring`` exists, else wrapping.
Engine = Literal["auto", "monitor", "wrap"]


@dataclass(frozen=True, slots=True)
class Patch:
    """One wrapped attribute: ``parent.attribute`` now holds ``handle`` instead of
    ``original`` (a target, or a framework's registration method)."""

    target: Target | None
    parent: Any
    attribute: str
    handle: Any
    original: Any = None
    recorder: TrackRecorder | None = None


@dataclass(frozen=True, slots=True)
class CodePatch:
    """One target tracked by its code object (Python 3.12+)."""

    target: Target
    code: CodeType
    recorder: TrackRecorder


class Instrumentation:
    """The targets of one :func:`~otel_product_events.auto.instrument` call."""

    def __init__(self, targets: Iterable[Target], *, engine: Engine = "auto") -> None:
        self.targets = tuple(targets)
        self.engine: Engine = engine
        self._lock = threading.Lock()
        self._active = False
        self._patches: list[Patch | CodePatch] = []
        self._registered: list[TrackRecorder] = []  # wrappers left in frameworks' tables
        self._registered_wrappers: set[int] = set()  # their ids (some return them, too)
        self._settled: set[str] = set()  # functions applied, or reported as bad
        self._monitor: monitoring.CodeMonitor | None = None
        self._by_function = {target.function: target for target in self.targets}

    @property
    def active(self) -> bool:
        """Started and not stopped."""
        return self._active

    @property
    def patches(self) -> tuple[Patch | CodePatch, ...]:
        """What is wrapped or instrumented right now."""
        with self._lock:
            return tuple(p for p in self._patches if p.target is not None)

    def start(self) -> None:
        """Registers one post-import hook per target module (run at once if it is imported)."""
        with self._lock:
            self._active = True
            self._settled.clear()
        self._choose_engine()
        by_module: dict[str, list[Target]] = {}
        for target in self.targets:
            by_module.setdefault(target.module, []).append(target)
        atexit.register(self.report_unimported)
        if self._monitor is None:
            registries.install(self, contained_error)
        for module_name, targets in by_module.items():
            try:
                post_import.when_imported(module_name, partial(self._on_import, targets))
            except Exception as error:
                contained_error("register_hook", error)

    def stop(self) -> None:
        """Unwraps every applied target; hooks still pending become inert."""
        with self._lock:
            self._active = False
            patches, self._patches = self._patches, []
            registered, self._registered = self._registered, []
        atexit.unregister(self.report_unimported)
        for recorder in registered:
            recorder.enabled = False  # still in the framework's table: make it call through
        for patch in reversed(patches):
            if isinstance(patch, CodePatch):
                self._stop_code(patch)
                continue
            try:
                import wrapt  # (a Patch exists only once wrapt has wrapped something)

                wrapt.unwrap_object(patch.parent, patch.attribute, patch.handle, missing_ok=True)
            except Exception as error:  # e.g. someone wrapped it again on top of ours
                if patch.recorder is not None:
                    patch.recorder.enabled = False
                described = patch.target.describe() if patch.target else patch.attribute
                guard.warn(f"auto-unwrap:{described}",
                           "otel_product_events: could not take %s off (%s); it calls straight "
                           "through until the process ends.", described, type(error).__name__)

    def _choose_engine(self) -> None:
        if self.engine == "wrap" or not monitoring.available():
            return
        try:
            self._monitor = monitoring.claim()
        except Exception as error:
            contained_error("monitoring.claim", error)
        if self._monitor is None:
            guard.warn("auto-engine", "otel_product_events: every sys.monitoring tool id we may "
                       "use (%s) is taken, so targets are wrapped instead: calls through "
                       "references taken before a target was wrapped are not tracked.",
                       ", ".join(map(str, monitoring.TOOL_IDS)))

    def _stop_code(self, patch: CodePatch) -> None:
        monitor = self._monitor
        try:
            if monitor is not None:
                monitor.remove(patch.code)
                monitoring.release_if_unused()
        except Exception as error:
            contained_error("monitoring.remove", error)

    def track_registered(self, function: Any) -> Any:
        """``function`` as a framework registers it: a tracked wrapper when it is a target
        (wrapping engine only), else itself. Called by :mod:`.registries`; never raises."""
        try:
            if not self._active or _is_tracked_wrapper(function):
                return function
            name = f"{getattr(function, '__module__', '')}:{getattr(function, '__qualname__', '')}"
            target = self._by_function.get(name)
            if target is None or _not_trackable(function) is not None:
                return function
            recorder = _recorder(target, function)
            tracked = _tracked_function(function, recorder)
            with self._lock:
                self._registered.append(recorder)
                self._registered_wrappers.add(id(tracked))
            _log.debug("otel_product_events: tracking %s where it is registered",
                       target.describe())
            return tracked
        except Exception as error:
            contained_error("registration_hook", error)
            return function

    def hook_registration(self, parent: Any, attribute: str, handle: Any) -> None:
        """Keeps a framework registration method wrapped by :mod:`.registries` (to undo)."""
        with self._lock:
            self._patches.append(Patch(None, parent, attribute, handle))

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
        if self._monitor is not None:
            patch: Patch | CodePatch | None = _instrument_code(target, module, self._monitor)
        elif self._registered_at(target, module):
            return
        else:
            patch = _apply(target, module)
        if patch is None:
            return
        with self._lock:
            self._patches.append(patch)
            still_active = self._active
        if not still_active:  # stopped while we were wrapping: take it off again
            self.stop()

    def _registered_at(self, target: Target, module: ModuleType) -> bool:
        """Whether the target is, or wraps, the wrapper a framework registration made (Flask's
        ``before_request`` returns what it registered; a Celery task wraps it)."""
        try:
            _, _, found = resolve_path(module, target.qualname)
            # Read live: unwrapping a lazy object (Celery's PromiseProxy) may register it now.
            registered = self._registered_wrappers
            found = inspect.unwrap(getattr(found, "__func__", found),
                                   stop=lambda f: id(f) in registered)
        except (AttributeError, ValueError):
            return False
        return id(found) in registered

    def report_unimported(self) -> None:
        """At exit: warns about targets whose module does not exist (it can only be told once
        the application has set up ``sys.path``; modules merely not imported are fine), and
        about wrapped targets the application could not reach."""
        try:
            with self._lock:
                pending = [t for t in self.targets
                           if t.function not in self._settled and t.module not in sys.modules]
                patches = [p for p in self._patches if isinstance(p, Patch)]
                registered = {id(r) for r in self._registered if r.called}
            for target in pending:
                if module_exists(target.module) is False:
                    skipped(target, f"there is no module {target.module!r} (checked at exit, "
                                    "with the application's sys.path); fix the module path")
            report_unreached(patches, registered)
        except Exception as error:
            contained_error("report_unimported", error)


def _wrapper_types() -> tuple[type, ...]:
    """wrapt's proxies (its C classes are not subclasses of the Python ``wrapt.ObjectProxy``),
    ours among them; only asked for once something was wrapped (wrapt is imported then)."""
    import wrapt

    from otel_product_events.instrument.api import TrackedFunction

    return (TrackedFunction, wrapt.FunctionWrapper, wrapt.BoundFunctionWrapper,
            wrapt.ObjectProxy)


def report_unreached(patches: Sequence[Patch], registered_called: set[int]) -> None:
    """One warning naming the wrapped targets that never fired while the application holds
    their original function somewhere else: a table or alias filled before the hook wrapped
    the module attribute, which a wrapper cannot reach."""
    silent = [p for p in patches if p.target is not None and p.recorder is not None
              and not p.recorder.called and p.original is not None]
    if not silent:
        return
    # Module namespaces are left out: `from app import f` in a module imported before ours
    # is common (the standard library under the launcher) and rarely how the call is made.
    ours = {id(silent), id(patches), *(id(p) for p in patches),
            *(id(vars(m)) for m in list(sys.modules.values()) if m is not None)}
    held: set[int] = set()
    # A tuple: CPython passes it on as the *args of get_referrers (3.13 reports that one too).
    wrapped = tuple(p.original for p in silent)
    originals = {id(original) for original in wrapped}
    ours.add(id(wrapped))
    wrapper_types = _wrapper_types()
    for referrer in gc.get_referrers(*wrapped):
        if id(referrer) in ours or isinstance(referrer, FrameType) \
                or issubclass(type(referrer), wrapper_types):  # our wrappers
            continue
        held.update(id(r) for r in gc.get_referents(referrer) if id(r) in originals)
    unreached = [p.target.function for p in silent if id(p.original) in held and p.target]
    if unreached:
        advice = ("Run on Python 3.12+, where every call is tracked, or decorate the function "
                  "with @pe.track" if sys.version_info < (3, 12) else
                  "Free a sys.monitoring tool id (3, 4 or 5), which tracks every call, or "
                  "decorate the function with @pe.track")
        guard.warn("auto-unreached", "otel_product_events: %s emitted no event, and the "
                   "application holds the original function elsewhere (a framework's table, an "
                   "alias or a reference taken before the target was wrapped), which wrapping "
                   "cannot reach. %s.", ", ".join(unreached), advice)


def _apply(target: Target, module: ModuleType) -> Patch | None:
    """Wraps one target in its freshly imported module; None (and a warning) when it cannot."""
    try:
        parent, attribute, original = resolve_path(module, target.qualname)
    except AttributeError:
        skipped(target, f"module {target.module!r} has no {target.qualname!r}; check the name "
                        "(a function, Class.method, Class.classmethod or Class.staticmethod)")
        return None
    problem = _not_trackable(original)
    if problem is not None:
        skipped(target, problem)
        return None

    command = _command_callback(original)
    if command is not None:  # a click Command: its callback is what runs
        parent, attribute, original = original, "callback", command
        if _is_tracked_wrapper(original):
            return None  # wrapped already where the command was made (registries)
    import wrapt

    from otel_product_events.instrument.api import TrackedFunction
    from otel_product_events.instrument.wrappers import build_wrapper, kind_of

    recorder = _recorder(target, original)
    wrapper = build_wrapper(kind_of(original), recorder)
    handle: TrackedFunction = wrapt.wrap_object(parent, attribute, TrackedFunction, (wrapper,))
    _log.debug("otel_product_events: tracking %s", target.describe())
    return Patch(target, parent, attribute, handle, original, recorder)


def track_recorder(function: object, event_name: str,
                   attributes: Mapping[str, AttributeSource] | None, *,
                   report: Callable[[str], None] | None = None) -> TrackRecorder:
    """The recorder ``@track`` builds (:mod:`otel_product_events.instrument.recorders`),
    imported when the first target's module is."""
    from otel_product_events.instrument.recorders import track_recorder as build

    return build(function, event_name, attributes, report=report)


def _tracked_function(function: Any, recorder: TrackRecorder) -> Any:
    """``function`` in the wrapper of ``@track`` (wrapping engine)."""
    from otel_product_events.instrument.api import TrackedFunction
    from otel_product_events.instrument.wrappers import build_wrapper, kind_of

    return TrackedFunction(function, build_wrapper(kind_of(function), recorder))


def _tracked_function_type() -> type | None:
    """:class:`~otel_product_events.instrument.api.TrackedFunction`, or None when its module
    was never imported, and so nothing can be one (no need to import it, and wrapt, to say
    that a function is not wrapped)."""
    api = sys.modules.get("otel_product_events.instrument.api")
    found: type | None = getattr(api, "TrackedFunction", None)
    return found


def _is_tracked_wrapper(function: object) -> bool:
    tracked = _tracked_function_type()
    return tracked is not None and isinstance(function, tracked)


def resolve_path(module: ModuleType, qualname: str) -> tuple[Any, str, Any]:
    """``(parent, attribute, original)`` for ``module``'s ``qualname``, as wrapt's
    ``resolve_path`` finds them: on a class, the raw attribute from the ``__dict__`` of the
    class of its MRO that defines it (a classmethod or staticmethod object, not a bound
    method). Raises AttributeError when a part is missing."""
    parent: Any = module
    path = qualname.split(".")
    original: Any = module
    for attribute in path:
        parent = original
        if isinstance(parent, type):
            for cls in parent.__mro__:
                if attribute in vars(cls):
                    original = vars(cls)[attribute]
                    break
            else:
                original = getattr(parent, attribute)
        else:
            original = getattr(parent, attribute)
    return parent, path[-1], original


def _recorder(target: Target, function: object) -> TrackRecorder:
    def report(message: str) -> None:
        guard.warn(f"auto-source:{target.function}:{message}",
                   "otel_product_events: %s: %s.", target.origin, message)

    return track_recorder(function, target.event_name, target.attributes, report=report)


def _instrument_code(target: Target, module: ModuleType,
                     monitor: monitoring.CodeMonitor) -> Patch | CodePatch | None:
    """Tracks one target by its code object; a callable without Python code (a builtin, a C
    extension) is wrapped instead."""
    try:
        _, _, original = resolve_path(module, target.qualname)
    except AttributeError:
        return _apply(target, module)  # the same warning as when wrapping
    problem = _not_trackable(original)
    if problem is not None:
        skipped(target, problem)
        return None
    function = code_function(original)
    if function is None or (_CLOSES_WITHOUT_RUNNING and function.__code__.co_flags & _GENERATORS):
        return _apply(target, module)
    code: CodeType = function.__code__
    if monitor.tracks(code):
        skipped(target, "its code is tracked already (by another target naming the same "
                        "function, or a function made by the same factory)")
        return None
    recorder = _recorder(target, function)
    monitor.add(code, recorder)
    _log.debug("otel_product_events: tracking %s by its code object", target.describe())
    return CodePatch(target, code, recorder)


def tracked_by(function: object) -> str:
    """How zero-code tracks ``function``: ``"code"`` (its code object, Python 3.12+),
    ``"wrapper"`` (it is a tracked wrapper), or ``"none"``. For diagnostics and tests."""
    if _is_tracked_wrapper(function):
        return "wrapper"
    monitor = monitoring.current()
    real = code_function(function)
    if monitor is not None and real is not None and monitor.tracks(real.__code__):
        return "code"
    return "none"


#: Python 3.13 closes a generator suspended outside any ``try`` without running its frame:
#: no monitoring event would end its run, so generator targets are wrapped there.
_CLOSES_WITHOUT_RUNNING: Final = sys.version_info >= (3, 13)
_GENERATORS: Final = 0x20 | 0x200  # CO_GENERATOR, CO_ASYNC_GENERATOR


def code_function(original: object) -> Any:
    """The Python function whose code runs when ``original`` is called: through
    classmethod/staticmethod, a click ``Command``'s callback, and ``functools.wraps``
    decorators (a decorator's wrapper code is shared by every function it decorates);
    None when there is none."""
    function: Any = getattr(original, "__func__", original)
    command = _command_callback(function)
    if command is not None:
        function = command
    with contextlib.suppress(ValueError):  # a __wrapped__ cycle
        function = inspect.unwrap(function)
    return function if isinstance(getattr(function, "__code__", None), CodeType) else None


def _command_callback(original: object) -> Any:
    """A click ``Command``'s (or Typer's) callback, None for anything else."""
    cls = type(original)
    if not any(base.__module__ == "click.core" and base.__name__ == "Command"
               for base in cls.__mro__):
        return None
    return getattr(original, "callback", None)


def _not_trackable(original: object) -> str | None:
    if inspect.isclass(original):
        return (f"it is a class, not a function; target one of its methods "
                f"(e.g. {getattr(original, '__qualname__', 'Class')}.__init__)")
    function = getattr(original, "__func__", original)  # classmethod / staticmethod objects
    if not callable(function):
        return f"it is a {type(original).__name__}, not a function, so it cannot be tracked"
    tracked_type = _tracked_function_type()
    tracked = None
    if tracked_type is not None:  # (else wrapt need not be imported: nothing is ours)
        import wrapt

        try:
            tracked = wrapt.find_wrapper(original, predicate=lambda w: isinstance(w, tracked_type))
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
