"""Hostile values never raise into the app, at every entry point: an int too large to write as
text, str/bytes/dict subclasses whose methods raise. The value is dropped and counted; the
event and its other attributes still go out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.metrics import CallbackOptions

import otel_product_events as pe
from otel_product_events.instrument.usage_ping import UsagePing
from otel_product_events.testing import CapturedEvents

HUGE = 10**5000  # beyond Python's int-to-text limit: str() raises ValueError


class Boom(Exception):
    pass


def boom(*_: object, **__: object) -> Any:
    raise Boom


class HostileStr(str):
    __len__ = __hash__ = __eq__ = __str__ = __repr__ = isascii = encode = __getitem__ = boom


class HostileKey(str):
    """Usable as a dict key (hash and equality work); every other method raises."""

    __len__ = __str__ = __repr__ = isascii = encode = __getitem__ = startswith = boom


class HostileBytes(bytes):
    __len__ = __getitem__ = __bytes__ = __iter__ = __repr__ = boom


class HostileItems(dict):  # type: ignore[type-arg]
    items = keys = values = __iter__ = __len__ = __bool__ = __getitem__ = boom


class HostileInt(int):
    __int__ = __index__ = __str__ = __repr__ = __lt__ = __le__ = __ge__ = __gt__ = boom


HOSTILE_VALUES = {"huge": HUGE, "str": HostileStr("x"), "bytes": HostileBytes(b"x"),
                  "dict": HostileItems(a=1), "int": HostileInt(3)}


@pytest.fixture(params=sorted(HOSTILE_VALUES))
def hostile(request: pytest.FixtureRequest) -> Any:
    return HOSTILE_VALUES[request.param]


def test_emit_keeps_the_other_attributes_of_a_hostile_value(
        captured: CapturedEvents, hostile: Any) -> None:
    pe.emit("thing.done", {"bad": hostile, "good": 1})
    assert captured[0].attributes["good"] == 1


def test_a_huge_int_is_dropped_not_sent_as_text(captured: CapturedEvents) -> None:
    pe.emit("thing.done", {"n": HUGE})
    assert "n" not in captured[0].attributes
    assert pe.stats()["attributes_dropped"] == 1


def test_a_hostile_str_value_is_sent_as_its_plain_text(captured: CapturedEvents) -> None:
    pe.emit("thing.done", {"s": HostileStr("plain")})
    assert captured[0].attributes["s"] == "plain"


def test_a_hostile_bytes_value_is_sent_as_its_plain_bytes(captured: CapturedEvents) -> None:
    pe.emit("thing.done", {"b": HostileBytes(b"raw")})
    assert captured[0].attributes["b"] == b"raw"


def test_emit_with_a_mapping_whose_methods_raise_still_sends_the_event(
        captured: CapturedEvents) -> None:
    pe.emit("thing.done", HostileItems(a=1))
    assert captured.names() == ["thing.done"]


def test_emit_with_a_hostile_str_key_sends_it_as_plain_text(captured: CapturedEvents) -> None:
    pe.emit("thing.done", {HostileKey("k"): 1, "good": 2})
    assert (captured[0].attributes["k"], captured[0].attributes["good"]) == (1, 2)


def test_product_context_never_raises_on_a_hostile_value(
        captured: CapturedEvents, hostile: Any) -> None:
    with pe.product_context({"bad": hostile, "good": 1}):
        pe.emit("thing.done")
    assert captured[0].attributes["good"] == 1


def test_product_context_never_raises_on_hostile_keys_or_mapping(
        captured: CapturedEvents) -> None:
    with pe.product_context({HostileKey("k"): 1, 7: 2}), pe.product_context(HostileItems()):
        pe.emit("thing.done")
    assert captured[0].attributes["k"] == 1
    assert 7 not in captured[0].attributes


def test_track_lifecycle_attributes_never_raise(captured: CapturedEvents, hostile: Any) -> None:
    with pe.track_lifecycle("sync", attributes={"bad": hostile, "good": 1}):
        pass
    assert [e.attributes["good"] for e in captured] == [1, 1]


def test_track_lifecycle_with_a_hostile_mapping_never_raises(captured: CapturedEvents) -> None:
    with pe.track_lifecycle("sync", attributes=HostileItems()):
        pass
    assert captured.names() == ["sync.started", "sync.completed"]


def test_run_set_attributes_never_raises(captured: CapturedEvents, hostile: Any) -> None:
    with pe.track_lifecycle("sync") as run:
        run.set_attributes({"bad": hostile, "good": 1})
        run.set_attributes(HostileItems())
    assert captured.named("sync.completed")[0].attributes["good"] == 1


def test_track_never_raises_on_a_hostile_argument(captured: CapturedEvents, hostile: Any) -> None:
    @pe.track("job.ran", attributes={"bad": "value", "good": "n"})
    def job(value: object, n: int) -> str:
        return "done"

    assert job(hostile, 1) == "done"
    assert captured.named("job.ran")[0].attributes["good"] == 1


def usage_points(values: object) -> list[tuple[Any, dict[str, Any]]]:
    ping = UsagePing("rows", lambda: values, interval_s=60)
    return [(o.value, dict(o.attributes or {})) for o in ping.observe(CallbackOptions())]


def test_a_usage_ping_drops_hostile_points_and_keeps_the_others() -> None:
    reported = usage_points({"huge": HUGE, HostileKey("sub"): 5, "int": HostileInt(4),
                             "ok": 3})
    assert [(value, attrs["product.usage.key"]) for value, attrs in reported] == [
        (5, "sub"), (4, "int"), (3, "ok")]
    assert pe.stats()["usage_ping_values_dropped"] == 1


def test_a_usage_ping_returning_a_hostile_mapping_reports_nothing() -> None:
    assert usage_points(HostileItems(a=1)) == []


class Reemitting(list):  # type: ignore[type-arg]
    """Converting it emits 2000 events: re-entry in the same thread, like a signal handler."""

    def __iter__(self) -> Iterator[Any]:
        for n in range(2000):
            pe.emit("inner.event", {"n": n})
        return iter([1])


def test_events_emitted_while_emitting_are_deferred_then_sent_or_counted(
        captured: CapturedEvents) -> None:
    pe.emit("outer.event", {"items": Reemitting()})
    inner = len(captured.named("inner.event"))
    assert captured.names()[0] == "outer.event"
    assert inner == 1024
    assert pe.stats()["events_dropped_reentrant"] == 2000 - inner
