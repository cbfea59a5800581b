"""Zero-code targets are wrapped by post-import hooks: the same events as @track, whatever
the import order, and a bad target never breaks the application."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import logging
import sys
from types import MappingProxyType
from typing import Any

import pytest

import otel_product_events as pe
from otel_product_events.auto import Target, hooks, instrument
from otel_product_events.testing import CapturedEvents
from tests.auto.conftest import CODE_OBJECTS, MakeModule, Start

METADATA = {"log.record.uid", "app.installation.id", "code.function.name", "product.outcome"}


def own_attributes(attributes: Any) -> dict[str, Any]:
    """An event's attributes without the metadata every event carries."""
    return {k: v for k, v in attributes.items() if k not in METADATA}


def target(module: str, qualname: str, event: str, **attributes: str) -> Target:
    return Target(module, qualname, event, MappingProxyType(attributes), "test")


def warnings_about(caplog: pytest.LogCaptureFixture, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "otel_product_events" and text in r.getMessage()]


class TestImportOrder:
    def test_a_module_imported_after_instrumentation_started_is_tracked_on_import(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        """The hook wraps the target when the application imports its module."""
        name = make_module()
        start(f"{name}:place_order=order.placed")
        app: Any = importlib.import_module(name)
        app.place_order("o-1", 10)
        assert captured.names() == ["order.placed"]

    def test_a_module_imported_before_instrumentation_started_is_tracked_at_once(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        """Already imported modules are wrapped immediately."""
        app: Any = importlib.import_module(make_module())
        start(f"{app.__name__}:place_order=order.placed")
        app.place_order("o-1", 10)
        assert captured.names() == ["order.placed"]

    def test_functions_imported_by_name_after_the_hook_ran_are_the_tracked_ones(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        """`from app import place_order` in another module gets the wrapped function."""
        name = make_module()
        start(f"{name}:place_order=order.placed")
        user: Any = importlib.import_module(make_module(
            f"from {name} import place_order\n"))
        user.place_order("o-1", 10)
        assert captured.names() == ["order.placed"]

    def test_starting_instrumentation_does_not_import_the_target_modules(
            self, make_module: MakeModule, start: Start) -> None:
        """No module is imported early: its import stays the application's decision."""
        name = make_module()
        start(f"{name}:place_order=order.placed")
        assert name not in sys.modules


class TestCallableKinds:
    def test_a_function_sends_the_declared_attributes_only(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        """Parameters and return paths are read as declared; `note` is never read."""
        app: Any = importlib.import_module(make_module())
        start(target(app.__name__, "place_order", "order.placed",
                     **{"order.id": "return.id", "order.total": "total"}))
        assert app.place_order("o-1", 10, note="secret") == {"id": "o-1", "total": 10}
        event = captured[0]
        assert own_attributes(event.attributes) == {"order.id": "o-1", "order.total": 10}
        assert event.attributes["code.function.name"] == f"{app.__name__}.place_order"
        assert "secret" not in repr(event.attributes)

    def test_a_method_reads_self_and_gets_one_span_and_one_event(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        """`Class.method` targets bind like decorated methods; each call is a span + event."""
        app: Any = importlib.import_module(make_module())
        start(target(app.__name__, "Cart.add", "cart.item.added",
                     **{"team.id": "self.team_id", "sku": "sku"}))
        assert app.Cart("t-1").add("sku-9", quantity=2) == 2
        assert own_attributes(captured[0].attributes) == {"team.id": "t-1", "sku": "sku-9"}
        assert [s.name for s in captured.spans] == ["Cart.add"]
        assert captured[0].span_id == captured.spans[0].context.span_id

    def test_a_classmethod_is_tracked_through_its_class_and_subclasses(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        """`cls` is bound as for a decorated classmethod, also when called on a subclass."""
        app: Any = importlib.import_module(make_module())
        start(target(app.__name__, "Cart.empty", "cart.created",
                     **{"team.id": "team_id", "cart.kind": "cls.__name__"}))
        assert isinstance(app.Cart.empty("t-1"), app.Cart)
        assert isinstance(app.Basket.empty("t-2"), app.Basket)
        assert [own_attributes(e.attributes) for e in captured] == [
            {"team.id": "t-1", "cart.kind": "Cart"}, {"team.id": "t-2", "cart.kind": "Basket"}]
        assert isinstance(vars(app.Cart)["empty"], classmethod)

    def test_a_staticmethod_is_tracked_from_the_class_and_from_instances(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        """No instance is bound; the parameters are the call's own."""
        app: Any = importlib.import_module(make_module())
        start(target(app.__name__, "Cart.price", "price.looked_up", sku="sku"))
        assert app.Cart.price("a") == app.Cart("t").price("b") == 9.5
        assert [e.attributes["sku"] for e in captured] == ["a", "b"]

    def test_an_async_function_sends_its_event_when_awaited_to_the_end(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        """The event waits for the coroutine, not for the call that created it."""
        app: Any = importlib.import_module(make_module())
        start(target(app.__name__, "fetch", "order.fetched", **{"order.id": "return"}))
        coroutine = app.fetch("o-3")
        assert captured.names() == []
        assert asyncio.run(coroutine) == "o-3"
        assert captured[0].attributes["order.id"] == "o-3"
        assert inspect.iscoroutinefunction(app.fetch)

    def test_a_generator_sends_its_event_when_exhausted(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        """The return value of a generator is its `return` source."""
        app: Any = importlib.import_module(make_module())
        start(target(app.__name__, "numbers", "numbers.listed", count="return"))
        assert list(app.numbers(3)) == [0, 1, 2]
        assert captured[0].attributes["count"] == 3

    def test_an_async_generator_sends_its_event_when_exhausted(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        """Async generators are driven to the end like the decorated ones."""
        app: Any = importlib.import_module(make_module())
        start(target(app.__name__, "anumbers", "numbers.streamed", n="n"))

        async def consume() -> list[int]:
            return [i async for i in app.anumbers(2)]

        assert asyncio.run(consume()) == [0, 1]
        assert captured[0].attributes["n"] == 2

    def test_a_tracked_function_keeps_its_name_signature_and_exceptions(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        """Callers and `inspect` see the original; a failing call is a failure event."""
        app: Any = importlib.import_module(make_module())
        signature = inspect.signature(app.place_order)
        start(f"{app.__name__}:place_order=order.placed")
        assert (app.place_order.__name__, inspect.signature(app.place_order)) == (
            "place_order", signature)
        start(f"{app.__name__}:refund=order.refunded")
        with pytest.raises(LookupError):
            app.refund("o-1")
        assert captured[0].attributes["product.outcome"] == "failure"
        assert captured[0].attributes["error.type"] == "LookupError"

    def test_a_call_with_wrong_arguments_is_an_event_only_when_wrapped(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        """With code objects (3.12+) the function never ran, so nothing is emitted; a wrapper
        runs before Python binds the arguments and reports the TypeError."""
        app: Any = importlib.import_module(make_module())
        start(f"{app.__name__}:place_order=order.placed")
        with pytest.raises(TypeError):
            app.place_order()
        assert len(captured) == (0 if CODE_OBJECTS else 1)


class TestBadTargets:
    def test_a_missing_attribute_warns_once_by_name_and_the_other_targets_work(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents,
            caplog: pytest.LogCaptureFixture) -> None:
        """A typo in one target costs that target only; the import succeeds."""
        name = make_module()
        start(f"{name}:place_ordr=order.placed,{name}:Cart.add=cart.item.added")
        app: Any = importlib.import_module(name)
        app.Cart("t").add("s")
        assert captured.names() == ["cart.item.added"]
        (warning,) = warnings_about(caplog, "place_ordr")
        assert f"target '{name}:place_ordr' (event 'order.placed', from " \
               f"OTEL_PRODUCT_EVENTS_TRACK) is skipped: module '{name}' has no " \
               "'place_ordr'" in warning
        assert pe.stats()["targets_skipped"] == 1

    def test_a_non_callable_is_skipped_with_a_warning(
            self, make_module: MakeModule, start: Start,
            caplog: pytest.LogCaptureFixture) -> None:
        """A constant is named for what it is, and left alone."""
        name = make_module()
        start(f"{name}:VALUE=value.read")
        app: Any = importlib.import_module(name)
        assert app.VALUE == 42
        (warning,) = warnings_about(caplog, f"'{name}:VALUE'")
        assert "it is a int, not a function" in warning

    def test_a_class_is_skipped_with_a_pointer_to_its_methods(
            self, make_module: MakeModule, start: Start,
            caplog: pytest.LogCaptureFixture) -> None:
        """Wrapping a class would change what isinstance and subclassing see."""
        name = make_module()
        start(f"{name}:Cart=cart.created")
        app: Any = importlib.import_module(name)
        assert inspect.isclass(app.Cart)
        (warning,) = warnings_about(caplog, f"'{name}:Cart'")
        assert "it is a class, not a function; target one of its methods (e.g. " \
               "Cart.__init__)" in warning

    def test_a_module_that_does_not_exist_is_reported_at_exit(
            self, start: Start, caplog: pytest.LogCaptureFixture) -> None:
        """Only at exit is the application's sys.path complete; then the typo is named."""
        instrumentation = start("no_such_module_anywhere.orders:pay=payment.made")
        assert warnings_about(caplog, "no_such_module_anywhere") == []
        instrumentation.report_unimported()
        (warning,) = warnings_about(caplog, "no_such_module_anywhere")
        assert "there is no module 'no_such_module_anywhere.orders'" in warning

    def test_a_module_that_exists_but_was_not_imported_is_not_reported(
            self, make_module: MakeModule, start: Start,
            caplog: pytest.LogCaptureFixture) -> None:
        """A run that never needed the module is not a mistake."""
        instrumentation = start(f"{make_module()}:place_order=order.placed")
        instrumentation.report_unimported()
        assert warnings_about(caplog, "target") == []

    def test_a_failure_inside_the_hook_never_breaks_the_import_or_the_other_targets(
            self, make_module: MakeModule, start: Start, monkeypatch: pytest.MonkeyPatch,
            captured: CapturedEvents, caplog: pytest.LogCaptureFixture) -> None:
        """Even our own bug only costs that target's telemetry (and is counted), also in
        strict mode."""
        track_recorder = hooks.track_recorder

        def broken_for_orders(function: Any, event_name: str, *args: Any, **kwargs: Any) -> Any:
            if event_name == "order.placed":
                raise RuntimeError("bug")
            return track_recorder(function, event_name, *args, **kwargs)

        monkeypatch.setattr(hooks, "track_recorder", broken_for_orders)
        name = make_module()
        start(f"{name}:place_order=order.placed,{name}:Cart.add=cart.item.added")
        app: Any = importlib.import_module(name)
        assert app.place_order("o", 1) == {"id": "o", "total": 1}
        app.Cart("t").add("s")
        assert captured.names() == ["cart.item.added"]
        assert warnings_about(caplog, "internal error in post_import_hook (RuntimeError)")
        assert pe.stats()["internal_errors"] == 1

    def test_an_already_decorated_function_is_not_tracked_twice(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents,
            caplog: pytest.LogCaptureFixture) -> None:
        """Targeting a function that has @track keeps one event per call."""
        app: Any = importlib.import_module(make_module(
            "import otel_product_events as pe\n"
            "@pe.track('order.placed')\ndef place_order():\n    return 1\n"))
        start(f"{app.__name__}:place_order=order.again")
        app.place_order()
        assert captured.names() == ["order.placed"]
        assert warnings_about(caplog, "it is already tracked")

    def test_a_source_naming_no_parameter_warns_with_its_origin_and_the_rest_is_sent(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents,
            caplog: pytest.LogCaptureFixture) -> None:
        """A catalog `from:` that the function cannot provide drops that attribute only."""
        app: Any = importlib.import_module(make_module())
        start(target(app.__name__, "place_order", "order.placed",
                     **{"order.id": "return.id", "customer.id": "customer_id"}))
        app.place_order("o-1", 1)
        assert own_attributes(captured[0].attributes) == {"order.id": "o-1"}
        (warning,) = warnings_about(caplog, "customer_id")
        assert warning.startswith("otel_product_events: test: ")
        assert "attribute 'customer.id' reads 'customer_id', which is not a parameter" in warning


class TestMainModule:
    def test_a_target_in_main_warns_why_and_the_others_are_instrumented(
            self, make_module: MakeModule, captured: CapturedEvents,
            caplog: pytest.LogCaptureFixture) -> None:
        """__main__ cannot be patched from outside; the warning says what to do instead."""
        name = make_module()
        instrumentation = instrument({"OTEL_PRODUCT_EVENTS_TRACK":
                                      f"__main__:main=app.ran,{name}:place_order=order.placed"})
        assert instrumentation is not None
        try:
            importlib.import_module(name).place_order("o", 1)  # type: ignore[attr-defined]
        finally:
            instrumentation.stop()
        assert captured.names() == ["order.placed"]
        (warning,) = warnings_about(caplog, "__main__")
        assert "functions of the script Python runs as __main__ cannot be patched" in warning


class TestInstrument:
    def test_instrumenting_twice_in_one_process_tracks_each_call_once(
            self, make_module: MakeModule, captured: CapturedEvents) -> None:
        """One launcher inside the other asks twice; the running instrumentation is reused."""
        name = make_module()
        environ = {"OTEL_PRODUCT_EVENTS_TRACK": f"{name}:place_order=order.placed"}
        first = instrument(environ)
        try:
            assert instrument(environ) is first
            importlib.import_module(name).place_order("o", 1)  # type: ignore[attr-defined]
        finally:
            assert first is not None
            first.stop()
        assert captured.names() == ["order.placed"]

    def test_after_stopping_instrumenting_again_starts_afresh(
            self, make_module: MakeModule) -> None:
        """A stopped instrumentation is not reused."""
        environ = {"OTEL_PRODUCT_EVENTS_TRACK": f"{make_module()}:place_order=order.placed"}
        first = instrument(environ)
        assert first is not None
        first.stop()
        second = instrument(environ)
        assert second is not None
        second.stop()
        assert second is not first


class TestUninstrument:
    def test_stopping_restores_every_original_object(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        """Functions and the class __dict__ entries (methods, classmethods, staticmethods)
        are the very objects they were before, and calls send nothing."""
        app: Any = importlib.import_module(make_module())
        before = (app.place_order, dict(vars(app.Cart)))
        instrumentation = start(*(f"{app.__name__}:{q}=e.{i}" for i, q in enumerate(
            ("place_order", "Cart.add", "Cart.empty", "Cart.price"))))
        assert len(instrumentation.patches) == 4
        instrumentation.stop()
        assert app.place_order is before[0]
        assert dict(vars(app.Cart)) == before[1]
        app.place_order("o", 1)
        app.Cart.empty("t").add("s")
        assert captured.names() == []

    def test_instrumenting_again_after_stopping_tracks_again_once(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        """instrument, uninstrument, instrument: one event per call, not two or none."""
        app: Any = importlib.import_module(make_module())
        start(f"{app.__name__}:Cart.add=cart.item.added").stop()
        start(f"{app.__name__}:Cart.add=cart.item.added")
        app.Cart("t").add("s")
        assert captured.names() == ["cart.item.added"]

    def test_a_hook_still_pending_when_stopped_never_applies(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        """Stopping before the module is imported leaves it plain."""
        name = make_module()
        start(f"{name}:place_order=order.placed").stop()
        app: Any = importlib.import_module(name)
        app.place_order("o", 1)
        assert captured.names() == []
        assert inspect.isfunction(app.place_order)

    def test_stopping_a_target_inherited_by_a_subclass_leaves_no_copy_behind(
            self, make_module: MakeModule, start: Start) -> None:
        """`Basket.add` is wrapped on Basket; stopping removes it there again."""
        app: Any = importlib.import_module(make_module())
        start(f"{app.__name__}:Basket.add=basket.item.added").stop()
        assert "add" not in vars(app.Basket)
        assert app.Basket.add is app.Cart.add


class TestOptOut:
    def test_set_enabled_false_makes_targets_call_straight_through(
            self, make_module: MakeModule, start: Start, captured: CapturedEvents) -> None:
        """The run-time switch applies to zero-code targets as to decorated code."""
        app: Any = importlib.import_module(make_module())
        start(f"{app.__name__}:place_order=order.placed")
        pe.set_enabled(False)
        assert app.place_order("o", 1) == {"id": "o", "total": 1}
        assert captured.names() == []
        assert captured.spans == []


@pytest.fixture(autouse=True)
def _warnings_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="otel_product_events")
