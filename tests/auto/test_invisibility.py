"""Zero-code tracking the application cannot see.

On Python 3.12+ the target's code object is instrumented: the module attribute stays the
original function, frames are the application's own (``warnings`` stack levels,
``sys._getframe``, tracebacks), and references taken before the hook (a framework's table, an
alias) emit too. On every version, targets copy and pickle as plain callables do.
"""

from __future__ import annotations

import asyncio
import copy
import importlib
import pickle
import sys
import traceback
import warnings
from typing import Any

import pytest
from opentelemetry import trace

from otel_product_events.auto import hooks, monitoring, tracked_by
from otel_product_events.catalog.targets import parse_track_variable
from otel_product_events.testing import CapturedEvents
from tests.apps import callables
from tests.auto.conftest import CODE_OBJECTS, MakeModule, Start

code_objects_only = pytest.mark.skipif(not CODE_OBJECTS, reason="sys.monitoring: Python 3.12+")

PLAIN_TARGETS = ",".join(f"tests.apps.callables:{q}=plain.{i}" for i, q in enumerate(
    ("plain_function", "Plain.method", "Plain.make", "Plain.double")))

FRAMES = '''
import sys, traceback, warnings

def deprecated():
    warnings.warn("old", DeprecationWarning, stacklevel=2)

def caller_name():
    return sys._getframe(1).f_code.co_name

def fails():
    raise ValueError("boom")

def calls_back(callback):
    return callback()

REGISTRY = {"handler": deprecated}
alias = caller_name

def factory(n):
    def made():
        return n
    return made

first, second = factory(1), factory(2)

def numbers(n):
    for i in range(n):
        yield i
    return n

async def fetch():
    await __import__("asyncio").sleep(0)
    return 7

def countdown(n):
    return 0 if n == 0 else countdown(n - 1) + 1

def order(order_id, *items, note=None, **extra):
    return len(items)

async def stream(n):
    for i in range(n):
        yield i
'''


def kinds_of_plain() -> dict[str, Any]:
    return callables.kinds(callables, "Plain")


def call(kind: str, found: Any) -> Any:
    return found(callables.Plain(3), 5) if kind == "Class.method" else found(5)


class TestEveryVersion:
    @pytest.mark.parametrize("kind", list(kinds_of_plain()))
    def test_a_target_copies_and_pickles_as_the_plain_callable(
            self, kind: str, start: Start, captured: CapturedEvents) -> None:
        start(PLAIN_TARGETS)
        found = kinds_of_plain()[kind]
        for duplicate in (copy.copy(found), copy.deepcopy(found),
                          pickle.loads(pickle.dumps(found))):
            assert call(kind, duplicate) == call(kind, found)
        assert len(captured) == 6  # every call, copies included


@code_objects_only
class TestCodeObjects:
    def test_the_module_attribute_is_the_original_function(
            self, make_module: MakeModule, start: Start) -> None:
        app: Any = importlib.import_module(make_module(FRAMES))
        original = app.deprecated
        start(f"{app.__name__}:deprecated=e.x")
        assert app.deprecated is original
        assert tracked_by(app.deprecated) == "code"

    @pytest.mark.parametrize("kind", list(kinds_of_plain()))
    def test_every_callable_kind_is_its_plain_self(self, kind: str, start: Start) -> None:
        before = kinds_of_plain()[kind]
        start(PLAIN_TARGETS)
        after = kinds_of_plain()[kind]
        assert type(after) is type(before)
        assert pickle.dumps(after) == pickle.dumps(before) or kind.startswith("instance")

    def test_a_reference_taken_before_the_hook_emits(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        """A framework's table, an alias: whichever reference makes the call."""
        app: Any = importlib.import_module(make_module(FRAMES))
        start(f"{app.__name__}:deprecated=deprecated.called,"
              f"{app.__name__}:caller_name=caller.named")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            app.REGISTRY["handler"]()
        app.alias()
        assert captured.names() == ["deprecated.called", "caller.named"]

    def test_warnings_stacklevel_points_at_the_applications_caller(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        app: Any = importlib.import_module(make_module(FRAMES))
        start(f"{app.__name__}:deprecated=e.x")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            app.deprecated()
        assert caught[0].filename == __file__
        assert len(captured) == 1

    def test_the_callers_frame_is_the_applications(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        app: Any = importlib.import_module(make_module(FRAMES))
        start(f"{app.__name__}:caller_name=e.x")
        assert app.caller_name() == "test_the_callers_frame_is_the_applications"
        assert len(captured) == 1

    def test_a_traceback_holds_only_the_applications_frames(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        app: Any = importlib.import_module(make_module(FRAMES))
        start(f"{app.__name__}:fails=e.x")
        with pytest.raises(ValueError, match="boom") as raised:
            app.fails()
        files = [frame.filename for frame in traceback.extract_tb(raised.value.__traceback__)]
        assert files == [__file__, app.__file__]
        assert captured[0].attributes["product.outcome"] == "failure"

    def test_the_span_is_current_inside_the_function_only(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        app: Any = importlib.import_module(make_module(FRAMES))
        start(f"{app.__name__}:calls_back=e.x")
        inside = app.calls_back(lambda: trace.get_current_span().get_span_context().span_id)
        assert inside == captured.spans[0].context.span_id
        assert not trace.get_current_span().get_span_context().is_valid

    def test_functions_sharing_one_code_object_are_all_tracked(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        """Closures made by one factory share their code: targeting one tracks them all."""
        app: Any = importlib.import_module(make_module(FRAMES))
        start(f"{app.__name__}:first=made.called")
        assert (app.first(), app.second()) == (1, 2)
        assert captured.names() == ["made.called", "made.called"]

    def test_a_generator_is_one_event_with_its_return_value_and_a_span_only_while_it_runs(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        app: Any = importlib.import_module(make_module(FRAMES))
        start(f"{app.__name__}:numbers=numbers.made")
        seen = []
        for item in app.numbers(3):
            seen.append((item, trace.get_current_span().get_span_context().is_valid))
        assert seen == [(0, False), (1, False), (2, False)]
        assert captured.names() == ["numbers.made"]
        assert captured[0].attributes["product.outcome"] == "success"

    def test_a_generator_closed_early_is_cancelled(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        app: Any = importlib.import_module(make_module(FRAMES))
        start(f"{app.__name__}:numbers=numbers.made")
        generator = app.numbers(3)
        next(generator)
        generator.close()
        assert captured[0].attributes["product.outcome"] == "cancelled"
        assert not trace.get_current_span().get_span_context().is_valid

    def test_a_generator_is_wrapped_from_python_3_13(
            self, make_module: MakeModule, start: Start) -> None:
        """3.13 closes a suspended generator without running it (no event would say so)."""
        app: Any = importlib.import_module(make_module(FRAMES))
        start(f"{app.__name__}:numbers=numbers.made")
        expected = "wrapper" if sys.version_info >= (3, 13) else "code"
        assert tracked_by(app.numbers) == expected

    def test_a_coroutine_is_one_event(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        app: Any = importlib.import_module(make_module(FRAMES))
        start(f"{app.__name__}:fetch=fetched")
        assert asyncio.run(app.fetch()) == 7
        assert captured.names() == ["fetched"]

    def test_recursive_calls_are_one_event_each_with_nested_spans(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        app: Any = importlib.import_module(make_module(FRAMES))
        start(f"{app.__name__}:countdown=counted")
        assert app.countdown(3) == 3
        assert len(captured) == 4
        parents = {span.parent.span_id if span.parent else None for span in captured.spans}
        assert len(parents) == 4  # a chain: each call is the child of the one that called it

    def test_calls_in_many_threads_are_one_event_each(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        from concurrent.futures import ThreadPoolExecutor

        app: Any = importlib.import_module(make_module(FRAMES))
        start(f"{app.__name__}:countdown=counted")
        with ThreadPoolExecutor(max_workers=8) as pool:
            assert list(pool.map(app.countdown, [5] * 40)) == [5] * 40
        assert len(captured) == 40 * 6
        assert not trace.get_current_span().get_span_context().is_valid

    def test_attributes_are_read_from_every_kind_of_parameter(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        """Positional, *args, keyword-only and **kwargs, read from the frame at the start."""
        from types import MappingProxyType

        from otel_product_events.auto import Target

        app: Any = importlib.import_module(make_module(FRAMES))
        start(Target(app.__name__, "order", "order.placed", MappingProxyType({
            "order.id": "order_id", "note": "note", "channel": "channel",
            "count": "return"}), "test"))
        app.order("o-1", "a", "b", note="n", channel="web")
        attributes = captured[0].attributes
        assert {k: attributes[k] for k in ("order.id", "note", "channel", "count")} == {
            "order.id": "o-1", "note": "n", "channel": "web", "count": 2}

    def test_an_async_generator_is_one_event(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        app: Any = importlib.import_module(make_module(FRAMES))
        start(f"{app.__name__}:stream=streamed")

        async def consume() -> list[int]:
            return [item async for item in app.stream(3)]

        assert asyncio.run(consume()) == [0, 1, 2]
        assert captured.names() == ["streamed"]

    def test_an_application_deleting_sys_getframe_does_not_disturb_tracking(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents,
            monkeypatch: pytest.MonkeyPatch) -> None:
        """attrs' own tests delete it to check their fallback."""
        app: Any = importlib.import_module(make_module(FRAMES))
        start(f"{app.__name__}:calls_back=called.back")
        monkeypatch.delattr(sys, "_getframe")
        assert app.calls_back(lambda: 5) == 5
        monkeypatch.undo()
        assert captured.names() == ["called.back"]

    def test_stopping_leaves_the_code_untracked(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        app: Any = importlib.import_module(make_module(FRAMES))
        start(f"{app.__name__}:caller_name=e.x").stop()
        app.caller_name()
        assert (captured.names(), tracked_by(app.caller_name)) == ([], "none")

    def test_with_every_tool_id_taken_targets_are_wrapped_with_one_warning(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents,
            caplog: pytest.LogCaptureFixture) -> None:
        monitoring.release_if_unused()
        taken = [i for i in monitoring.TOOL_IDS if sys.monitoring.get_tool(i) is None]
        for tool_id in taken:
            sys.monitoring.use_tool_id(tool_id, "someone else")
        try:
            app: Any = importlib.import_module(make_module(FRAMES))
            start(f"{app.__name__}:caller_name=e.x")
            assert tracked_by(app.caller_name) == "wrapper"
            app.caller_name()
        finally:
            for tool_id in taken:
                sys.monitoring.free_tool_id(tool_id)
        assert len(captured) == 1
        assert "every sys.monitoring tool id we may use (3, 4, 5) is taken" in caplog.text


def test_wrapping_misses_a_reference_taken_before_the_hook(
        make_module: MakeModule, captured: CapturedEvents) -> None:
    """What code objects fix: with ``engine="wrap"`` (3.10/3.11, or no free tool id) the
    module attribute is tracked, the table filled while the module imported is not."""
    app: Any = importlib.import_module(make_module(FRAMES))
    parsed = parse_track_variable(f"{app.__name__}:deprecated=deprecated.called")
    instrumentation = hooks.Instrumentation(parsed.targets, engine="wrap")
    instrumentation.start()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            app.REGISTRY["handler"]()
            app.deprecated()
    finally:
        instrumentation.stop()
    assert captured.names() == ["deprecated.called"]  # the second call only
