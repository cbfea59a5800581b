"""Fixtures for zero-code tests: throwaway application modules, and instrumentation that is
always taken off again."""

from __future__ import annotations

import importlib
import sys
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from otel_product_events.auto import Instrumentation, Target
from otel_product_events.catalog.targets import parse_track_variable

#: An application module with every kind of callable a target may name.
APP = '''
import asyncio

def place_order(order_id, total, note="private"):
    return {"id": order_id, "total": total}

def refund(order_id):
    raise LookupError(order_id)

class Cart:
    def __init__(self, team_id):
        self.team_id = team_id

    def add(self, sku, quantity=1):
        return quantity

    @classmethod
    def empty(cls, team_id):
        return cls(team_id)

    @staticmethod
    def price(sku):
        return 9.5

class Basket(Cart):
    pass

async def fetch(order_id):
    await asyncio.sleep(0)
    return order_id

def numbers(n):
    yield from range(n)
    return n

async def anumbers(n):
    for i in range(n):
        yield i

VALUE = 42
'''

#: Python 3.12+ tracks targets by their code object (sys.monitoring); older ones wrap them.
CODE_OBJECTS = sys.version_info >= (3, 12)
#: What ``tracked_by`` says of a tracked target on this interpreter.
TRACKED = "code" if CODE_OBJECTS else "wrapper"


def how_tracked(expression: str) -> str:
    """Python code printing ``tracked_by(expression)`` (for a child process)."""
    return f"__import__('otel_product_events.auto').auto.tracked_by({expression})"


MakeModule = Callable[..., str]
Start = Callable[..., Instrumentation]


@pytest.fixture
def make_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MakeModule]:
    """``make_module(source=APP)`` writes a module under a fresh name and returns the name;
    the module is not imported."""
    monkeypatch.syspath_prepend(str(tmp_path))
    created: list[str] = []

    def make(source: str = APP) -> str:
        name = f"zero_code_app_{uuid.uuid4().hex[:10]}"
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        importlib.invalidate_caches()
        created.append(name)
        return name

    yield make
    for name in created:
        sys.modules.pop(name, None)


@pytest.fixture
def start() -> Iterator[Start]:
    """``start(*targets)`` starts an :class:`Instrumentation` (targets may be given as
    ``OTEL_PRODUCT_EVENTS_TRACK`` text); every one is stopped after the test."""
    started: list[Instrumentation] = []

    def start_targets(*targets: Target | str) -> Instrumentation:
        parsed: list[Target] = []
        for target in targets:
            if isinstance(target, str):
                found = parse_track_variable(target)
                assert not found.problems, found.problems
                parsed += found.targets
            else:
                parsed.append(target)
        instrumentation = Instrumentation(parsed)
        instrumentation.start()
        started.append(instrumentation)
        return instrumentation

    yield start_targets
    for instrumentation in started:
        instrumentation.stop()


def import_module(name: str) -> object:
    return importlib.import_module(name)
