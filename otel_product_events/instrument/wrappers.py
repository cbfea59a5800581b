"""One wrapt wrapper per kind of callable, chosen once, at decoration time.

A wrapper asks its :class:`Recorder` to ``begin`` a run, calls the function with the run's
context attached (so the span is current inside it), and hands the outcome to ``finish``. The
function's return value and exceptions pass through untouched, and when tracking is off the
wrapper calls straight through. Generators are driven step by step so the span is current only
while their own code runs, never in the consumer's code between two items.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from typing import Any, Protocol, TypeVar

from opentelemetry.context import Context, attach, detach

from otel_product_events.privacy.consent import SWITCH

Wrapper = Callable[[Callable[..., Any], Any, tuple[Any, ...], dict[str, Any]], Any]


class Run(Protocol):
    """One call in flight; ``context`` is attached while the function's code runs."""

    @property
    def context(self) -> Context | None: ...


_R = TypeVar("_R", bound=Run)


class Recorder(Protocol[_R]):
    """Observes calls of one decorated function. Neither method may raise."""

    def begin(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _R | None:
        """Starts a run; None means "do not record this call"."""

    def finish(
        self,
        run: _R,
        instance: Any,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        result: Any,
        error: BaseException | None,
    ) -> None:
        """Ends a run with the call's result, or the exception it raised."""


def kind_of(function: object) -> str:
    """``"sync"``, ``"coroutine"``, ``"generator"`` or ``"async_generator"``."""
    target = getattr(function, "__func__", function)  # classmethod / staticmethod objects
    if inspect.isasyncgenfunction(target):
        return "async_generator"
    if inspect.iscoroutinefunction(target):
        return "coroutine"
    if inspect.isgeneratorfunction(target):
        return "generator"
    return "sync"


def build_wrapper(kind: str, recorder: Recorder[Any]) -> Wrapper:
    """The wrapt wrapper for a callable of ``kind``."""
    return _FACTORIES[kind](recorder)


def _sync(recorder: Recorder[Any]) -> Wrapper:
    begin, finish = recorder.begin, recorder.finish

    def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        if not SWITCH.on:
            return wrapped(*args, **kwargs)
        run = begin(instance, args, kwargs)
        if run is None:
            return wrapped(*args, **kwargs)
        context = run.context
        token = attach(context) if context is not None else None
        try:
            result = wrapped(*args, **kwargs)
        except BaseException as error:
            if token is not None:
                detach(token)
            finish(run, instance, args, kwargs, None, error)
            raise
        if token is not None:
            detach(token)
        finish(run, instance, args, kwargs, result, None)
        return result

    return wrapper


def _coroutine(recorder: Recorder[Any]) -> Wrapper:
    begin, finish = recorder.begin, recorder.finish

    async def observe(
        awaitable: Awaitable[Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        run = begin(instance, args, kwargs)
        if run is None:
            return await awaitable
        context = run.context
        token = attach(context) if context is not None else None
        try:
            result = await awaitable
        except BaseException as error:
            if token is not None:
                detach(token)
            finish(run, instance, args, kwargs, None, error)
            raise
        if token is not None:
            detach(token)
        finish(run, instance, args, kwargs, result, None)
        return result

    def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        # Called eagerly, so a wrong argument raises TypeError at the call as it always did.
        awaitable = wrapped(*args, **kwargs)
        if not SWITCH.on:
            return awaitable
        return observe(awaitable, instance, args, kwargs)

    return wrapper


def _generator(recorder: Recorder[Any]) -> Wrapper:
    begin, finish = recorder.begin, recorder.finish

    def drive(
        inner: Generator[Any, Any, Any], instance: Any, args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Generator[Any, Any, Any]:
        run = begin(instance, args, kwargs)
        if run is None:
            return (yield from inner)
        context = run.context
        to_send: Any = None
        to_throw: BaseException | None = None
        try:
            while True:
                token = attach(context) if context is not None else None
                try:
                    if to_throw is None:
                        item = inner.send(to_send)
                    else:
                        item, to_throw = inner.throw(to_throw), None
                except StopIteration as stop:
                    result = stop.value
                    break
                finally:
                    if token is not None:
                        detach(token)
                try:
                    to_send = yield item
                except GeneratorExit:
                    inner.close()
                    raise
                except BaseException as thrown:
                    to_send, to_throw = None, thrown
        except BaseException as error:
            finish(run, instance, args, kwargs, None, error)
            raise
        finish(run, instance, args, kwargs, result, None)
        return result

    def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        inner = wrapped(*args, **kwargs)
        if not SWITCH.on:
            return inner
        return drive(inner, instance, args, kwargs)

    return wrapper


def _async_generator(recorder: Recorder[Any]) -> Wrapper:
    begin, finish = recorder.begin, recorder.finish

    async def drive(
        inner: AsyncGenerator[Any, Any], instance: Any, args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> AsyncGenerator[Any, Any]:
        run = begin(instance, args, kwargs)
        context = run.context if run is not None else None
        to_send: Any = None
        to_throw: BaseException | None = None
        try:
            while True:
                token = attach(context) if context is not None else None
                try:
                    if to_throw is None:
                        item = await inner.asend(to_send)
                    else:
                        item, to_throw = await inner.athrow(to_throw), None
                except StopAsyncIteration:
                    break
                finally:
                    if token is not None:
                        detach(token)
                try:
                    to_send = yield item
                except GeneratorExit:
                    await inner.aclose()
                    raise
                except BaseException as thrown:
                    to_send, to_throw = None, thrown
        except BaseException as error:
            if run is not None:
                finish(run, instance, args, kwargs, None, error)
            raise
        if run is not None:
            finish(run, instance, args, kwargs, None, None)

    def wrapper(
        wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> Any:
        inner = wrapped(*args, **kwargs)
        if not SWITCH.on:
            return inner
        return drive(inner, instance, args, kwargs)

    return wrapper


_FACTORIES: dict[str, Callable[[Recorder[Any]], Wrapper]] = {
    "sync": _sync,
    "coroutine": _coroutine,
    "generator": _generator,
    "async_generator": _async_generator,
}
