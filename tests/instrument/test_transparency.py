"""Tracking never changes what the host application sees of its own functions."""

from __future__ import annotations

import asyncio
import inspect
import pickle
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import otel_product_events as pe
from otel_product_events.testing import CapturedEvents


def plain_function(a: int, b: str = "x", *rest: int, flag: bool = False, **extra: Any) -> str:
    """Docstring of the plain function."""
    return f"{a}{b}{rest}{flag}{extra}"


async def plain_coroutine(a: int) -> int:
    """Docstring of the coroutine."""
    return a


def plain_generator(n: int) -> Iterator[int]:
    """Docstring of the generator."""
    yield from range(n)


async def plain_async_generator(n: int) -> AsyncIterator[int]:
    """Docstring of the async generator."""
    for i in range(n):
        yield i


TWINS = [plain_function, plain_coroutine, plain_generator, plain_async_generator]


@pytest.mark.parametrize("original", TWINS, ids=lambda f: f.__name__)
def test_name_doc_signature_and_kind_are_unchanged(original: Any) -> None:
    """__name__, __qualname__, __doc__, __module__, signature and every inspect kind check match."""
    tracked = pe.track("twin.called")(original)
    assert tracked.__name__ == original.__name__
    assert tracked.__qualname__ == original.__qualname__
    assert tracked.__doc__ == original.__doc__
    assert tracked.__module__ == original.__module__
    assert inspect.signature(tracked) == inspect.signature(original)
    for check in (inspect.iscoroutinefunction, inspect.isgeneratorfunction,
                  inspect.isasyncgenfunction, inspect.isfunction, callable):
        assert check(tracked) == check(original), check.__name__


def test_return_values_match_the_plain_twin(captured: CapturedEvents) -> None:
    """Every kind returns exactly what its untracked twin returns."""
    tracked = [pe.track("twin.called")(f) for f in TWINS]

    async def consume(agen: AsyncIterator[int]) -> list[int]:
        return [i async for i in agen]

    def results(fs: list[Any]) -> list[Any]:
        return [fs[0](1, "y", 2, flag=True, k=1), asyncio.run(fs[1](5)), list(fs[2](3)),
                asyncio.run(consume(fs[3](2)))]

    assert results(tracked) == results(TWINS)
    assert len(captured) == 4


def test_wrong_arguments_fail_at_call_time_as_before() -> None:
    """A bad call raises the same TypeError, at the call, for generators and coroutines too."""
    for original in TWINS[1:]:
        tracked = pe.track("twin.called")(original)
        with pytest.raises(TypeError) as plain_error:
            original()
        with pytest.raises(TypeError) as tracked_error:
            tracked()
        assert str(tracked_error.value) == str(plain_error.value)


def test_methods_keep_their_descriptor_behaviour() -> None:
    """Methods, classmethods and staticmethods bind as they did before decoration."""

    class Service:
        @pe.track("m")
        def method(self) -> Any:
            return self

        @pe.track("c")
        @classmethod
        def klass(cls) -> Any:
            return cls

        @pe.track("s")
        @staticmethod
        def static() -> str:
            return "static"

    class Child(Service):
        pass

    service = Child()
    assert service.method() is service
    assert Child.klass() is Child
    assert service.klass() is Child
    assert Child.static() == service.static() == "static"
    assert isinstance(Service.__dict__["klass"], classmethod)
    assert isinstance(Service.__dict__["static"], staticmethod)


def tracked_for_pickle(x: int) -> int:
    return x * 2


tracked_for_pickle = pe.track("pickled.called")(tracked_for_pickle)  # type: ignore[assignment]


def test_tracked_functions_pickle_by_reference() -> None:
    """multiprocessing and pools can send a tracked function to a worker, as a plain one."""
    restored = pickle.loads(pickle.dumps(tracked_for_pickle))
    assert restored is tracked_for_pickle
    assert restored(4) == 8
