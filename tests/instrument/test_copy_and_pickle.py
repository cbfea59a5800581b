"""A tracked callable copies and pickles as the plain one: ``copy``/``deepcopy`` give the
function itself (or the bound method again), and pickling is by reference, so process pools
can run tracked functions and methods. Every kind: functions, methods read through the class or
an instance, classmethods and staticmethods."""

from __future__ import annotations

import copy
import multiprocessing
import pickle
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

from tests.apps import callables
from tests.apps.callables import Tracked, tracked_function

TRACKED = callables.kinds(callables, "Tracked")
KINDS = list(TRACKED)


def call(kind: str, found: Any) -> Any:
    """Calls a callable of ``kind`` the way that kind is called."""
    if kind == "Class.method":
        return found(Tracked(3), 5)
    return found(5)


@pytest.mark.parametrize("kind", KINDS)
def test_a_copy_is_the_tracked_callable_again(kind: str) -> None:
    original = TRACKED[kind]
    copied = copy.copy(original)
    assert copied == original
    assert call(kind, copied) == call(kind, original)


@pytest.mark.parametrize("kind", KINDS)
def test_a_deep_copy_calls_like_the_original(kind: str) -> None:
    original = TRACKED[kind]
    assert call(kind, copy.deepcopy(original)) == call(kind, original)


@pytest.mark.parametrize("kind", KINDS)
def test_pickling_round_trips_by_reference(kind: str) -> None:
    original = TRACKED[kind]
    restored = pickle.loads(pickle.dumps(original))
    assert call(kind, restored) == call(kind, original)


def test_a_pickled_function_is_the_very_same_object() -> None:
    assert pickle.loads(pickle.dumps(tracked_function)) is tracked_function


def test_a_function_pickles_to_the_same_bytes_as_a_plain_one() -> None:
    """Only the name is written: the receiving process resolves it itself."""
    assert b"tracked_function" in pickle.dumps(tracked_function)
    assert b"otel_product_events" not in pickle.dumps(tracked_function)


def test_a_local_function_cannot_be_pickled_as_with_plain_ones() -> None:
    import otel_product_events as pe

    @pe.track("local.called")
    def local() -> None:
        pass

    with pytest.raises((pickle.PicklingError, AttributeError)):
        pickle.dumps(local)


@pytest.mark.parametrize("reach", [lambda: tracked_function, lambda: Tracked(4).method,
                                   lambda: Tracked.double, lambda: Tracked.make],
                         ids=["function", "bound method", "staticmethod", "classmethod"])
def test_a_process_pool_maps_a_tracked_callable(reach: Callable[[], Any]) -> None:
    """ProcessPoolExecutor pickles the callable for each chunk of work. Spawned, not forked:
    the worker imports the callable's module afresh, so only a by-reference pickle works (and
    forking this multithreaded test process is deprecated on 3.12+)."""
    function = reach()
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=spawn) as pool:
        results = list(pool.map(function, [1, 2]))
    assert results == [function(1), function(2)]
