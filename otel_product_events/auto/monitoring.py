"""Code-object instrumentation on Python 3.12+: targets tracked without replacing anything.

With ``sys.monitoring`` (PEP 669) the events are switched on for the target's *code object*
only (``set_local_events``), so every execution of the function emits, whichever reference
called it: a framework's table (Flask's ``view_functions``, click commands, Celery tasks), an
alias, a reference taken before the hook ran. The application keeps its own objects: the
module attribute is the original function, so identity, pickling, copying, ``inspect``,
``warnings`` stack levels, ``sys._getframe`` and tracebacks are untouched.

A call is one run of the recorder ``@track`` uses: ``PY_START`` begins it (the arguments are
read from the frame's locals, only when an attribute needs them) and attaches its span;
``PY_YIELD`` detaches it while a generator or coroutine is suspended, ``PY_RESUME`` and
``PY_THROW`` attach it again; ``PY_RETURN`` and ``PY_UNWIND`` detach it and finish it with
the return value or the exception. Functions that share one code object (closures made by one
factory) are all tracked. ``PY_UNWIND`` and ``PY_THROW`` cannot be enabled per code object:
they are on for the process, and their callbacks only look the code object up in a dict.

Tool ids 0-2 and 5 belong by convention to debuggers, coverage, profilers and optimizers; we
take the first free of 3, 4, 5. When none is free (or the API is missing) :func:`claim` returns
None and the caller wraps instead.
"""

from __future__ import annotations

import sys
import threading
from types import CodeType, FrameType
from typing import TYPE_CHECKING, Any, Final

from opentelemetry.context import attach, detach

from otel_product_events import guard
from otel_product_events.errors import ProductEventsError
from otel_product_events.privacy.consent import SWITCH

if TYPE_CHECKING:  # (the recorders come with the targets: nothing of instrument/ at start-up)
    from otel_product_events.instrument.tracking import TrackedRun, TrackRecorder

#: Tried in this order; 0-2 are the debugger, coverage and profiler ids.
TOOL_IDS: Final = (3, 4, 5)
TOOL_NAME: Final = "otel_product_events"

#: Bound once: an application (attrs' tests) may delete ``sys._getframe`` for a while.
_getframe: Final = sys._getframe

_CO_VARARGS: Final = 0x04
_CO_VARKEYWORDS: Final = 0x08
_CO_SUSPENDS: Final = 0x20 | 0x80 | 0x100 | 0x200  # generator, coroutine, iterable/async gen


def available() -> bool:
    """Whether this interpreter has ``sys.monitoring`` (CPython 3.12+)."""
    return hasattr(sys, "monitoring")


class Probe:
    """What is known about one instrumented code object, decided once."""

    __slots__ = ("keyword_only", "positional", "reads_arguments", "recorder", "var_keyword",
                 "var_positional")

    def __init__(self, code: CodeType, recorder: TrackRecorder) -> None:
        names = code.co_varnames
        positional_count, keyword_count = code.co_argcount, code.co_kwonlyargcount
        self.recorder = recorder
        self.reads_arguments = recorder.reads_arguments
        self.positional = names[:positional_count]
        self.keyword_only = names[positional_count:positional_count + keyword_count]
        index = positional_count + keyword_count
        self.var_positional: str | None = None
        self.var_keyword: str | None = None
        if code.co_flags & _CO_VARARGS:
            self.var_positional, index = names[index], index + 1
        if code.co_flags & _CO_VARKEYWORDS:
            self.var_keyword = names[index]

    def arguments(self, frame: FrameType) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """The call's arguments as ``(args, kwargs)`` (``self`` included), from the locals of
        a frame that has not run any of its own code yet."""
        if not self.reads_arguments:
            return (), {}
        local = frame.f_locals
        args = tuple(local[name] for name in self.positional)
        kwargs = {name: local[name] for name in self.keyword_only}
        if self.var_positional is not None:
            args += tuple(local[self.var_positional])
        if self.var_keyword is not None:
            kwargs.update(local[self.var_keyword])
        return args, kwargs


class _InFlight:
    """One call whose code is running or suspended."""

    __slots__ = ("args", "kwargs", "probe", "run", "token")

    def __init__(self, probe: Probe, run: TrackedRun, args: tuple[Any, ...],
                 kwargs: dict[str, Any]) -> None:
        self.probe = probe
        self.run = run
        self.args = args
        self.kwargs = kwargs
        self.token: object | None = None

    def enter(self) -> None:
        context = self.run.context
        if context is not None and self.token is None:
            self.token = attach(context)

    def leave(self) -> None:
        token, self.token = self.token, None
        if token is not None:
            detach(token)  # type: ignore[arg-type]


class CodeMonitor:
    """The ``sys.monitoring`` tool of this process: callbacks for the registered code objects."""

    def __init__(self, tool_id: int) -> None:
        self.tool_id = tool_id
        self._probes: dict[CodeType, Probe] = {}
        # Keyed by frame: recursion, threads and suspended generators each have their own.
        self._running: dict[FrameType, _InFlight] = {}
        self._lock = threading.Lock()
        monitoring: Any = sys.monitoring  # type: ignore[attr-defined]
        events = monitoring.events
        self._disable = monitoring.DISABLE
        self._local_sync = events.PY_START | events.PY_RETURN
        self._local_suspending = self._local_sync | events.PY_YIELD | events.PY_RESUME
        for event, callback in ((events.PY_START, self._on_start),
                                (events.PY_RETURN, self._on_return),
                                (events.PY_YIELD, self._on_yield),
                                (events.PY_RESUME, self._on_resume),
                                (events.PY_THROW, self._on_throw),
                                (events.PY_UNWIND, self._on_unwind)):
            monitoring.register_callback(tool_id, event, callback)
        monitoring.set_events(tool_id, events.PY_UNWIND | events.PY_THROW)

    def add(self, code: CodeType, recorder: TrackRecorder) -> None:
        """Tracks every execution of ``code`` from now on."""
        suspends = code.co_flags & _CO_SUSPENDS
        with self._lock:
            self._probes[code] = Probe(code, recorder)
            sys.monitoring.set_local_events(  # type: ignore[attr-defined]
                self.tool_id, code, self._local_suspending if suspends else self._local_sync)

    def remove(self, code: CodeType) -> None:
        """Stops tracking ``code``; calls in flight end unrecorded."""
        with self._lock:
            if self._probes.pop(code, None) is not None:
                sys.monitoring.set_local_events(self.tool_id, code, 0)  # type: ignore[attr-defined]

    def tracks(self, code: CodeType) -> bool:
        return code in self._probes

    @property
    def empty(self) -> bool:
        return not self._probes

    def close(self) -> None:
        """Switches every event off and gives the tool id back."""
        monitoring: Any = sys.monitoring  # type: ignore[attr-defined]
        with self._lock:
            for code in list(self._probes):
                monitoring.set_local_events(self.tool_id, code, 0)
            self._probes.clear()
            monitoring.set_events(self.tool_id, 0)
            for event in (monitoring.events.PY_START, monitoring.events.PY_RETURN,
                          monitoring.events.PY_YIELD, monitoring.events.PY_RESUME,
                          monitoring.events.PY_THROW, monitoring.events.PY_UNWIND):
                monitoring.register_callback(self.tool_id, event, None)
            monitoring.free_tool_id(self.tool_id)

    # The callbacks run inside the application's code: an exception escaping one would be
    # raised there, so each catches everything. ``_getframe(1)`` is the target's frame.

    def _on_start(self, code: CodeType, offset: int) -> object:
        probe = self._probes.get(code)
        if probe is None:
            return self._disable  # no longer a target
        if not SWITCH.on:
            return None
        try:
            frame = _getframe(1)
            args, kwargs = probe.arguments(frame)
            run = probe.recorder.begin(None, args, kwargs)
            if run is not None:
                flight = self._running[frame] = _InFlight(probe, run, args, kwargs)
                flight.enter()
        except Exception as error:
            _report("monitoring.start", error)
        return None

    def _on_return(self, code: CodeType, offset: int, value: object) -> object:
        try:
            flight = self._running.pop(_getframe(1), None)
            if flight is not None:
                flight.leave()
                flight.probe.recorder.finish(flight.run, None, flight.args, flight.kwargs,
                                             value, None)
        except Exception as error:
            _report("monitoring.return", error)
        return None

    def _on_unwind(self, code: CodeType, offset: int, exception: BaseException) -> None:
        if code not in self._probes:  # every unwinding frame of the process comes here
            return
        try:
            flight = self._running.pop(_getframe(1), None)
            if flight is not None:
                flight.leave()
                flight.probe.recorder.finish(flight.run, None, flight.args, flight.kwargs,
                                             None, exception)
        except Exception as error:
            _report("monitoring.unwind", error)

    def _on_yield(self, code: CodeType, offset: int, value: object) -> object:
        try:
            flight = self._running.get(_getframe(1))
            if flight is not None:
                flight.leave()
        except Exception as error:
            _report("monitoring.yield", error)
        return None

    def _on_resume(self, code: CodeType, offset: int) -> object:
        try:
            flight = self._running.get(_getframe(1))
            if flight is not None:
                flight.enter()
        except Exception as error:
            _report("monitoring.resume", error)
        return None

    def _on_throw(self, code: CodeType, offset: int, exception: BaseException) -> None:
        if code in self._probes:
            self._on_resume(code, offset)


def _report(kind: str, error: Exception) -> None:
    """Our failure inside a callback: counted and logged, and nothing escapes into the
    application's code (even logging may fail there), except strict mode's own error."""
    try:
        guard.internal_error(kind, error)
    except ProductEventsError:
        raise
    except Exception:
        pass


class _Claimed:
    monitor: CodeMonitor | None = None
    lock = threading.Lock()


def claim() -> CodeMonitor | None:
    """The process's monitor, on the first free tool id; None when there is no
    ``sys.monitoring`` or every id we may use is taken."""
    if not available():
        return None
    with _Claimed.lock:
        if _Claimed.monitor is not None:
            return _Claimed.monitor
        monitoring: Any = sys.monitoring  # type: ignore[attr-defined]
        for tool_id in TOOL_IDS:
            if monitoring.get_tool(tool_id) is not None:
                continue
            try:
                monitoring.use_tool_id(tool_id, TOOL_NAME)
            except ValueError:  # taken between the two calls
                continue
            _Claimed.monitor = CodeMonitor(tool_id)
            return _Claimed.monitor
        return None


def current() -> CodeMonitor | None:
    """The monitor claimed by this process, if any."""
    return _Claimed.monitor


def release_if_unused() -> None:
    """Gives the tool id back once no code object is tracked any more."""
    with _Claimed.lock:
        monitor = _Claimed.monitor
        if monitor is not None and monitor.empty:
            _Claimed.monitor = None
            monitor.close()
