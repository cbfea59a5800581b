"""Every kind of callable, once decorated with ``@pe.track`` and once plain (the plain ones are
zero-code targets in the tests): they must copy and pickle as plain Python ones do."""

from __future__ import annotations

from typing import Any

import otel_product_events as pe


@pe.track("tracked.function")
def tracked_function(x: int) -> int:
    return x + 1


class Tracked:
    def __init__(self, factor: int = 2) -> None:
        self.factor = factor

    @pe.track("tracked.method")
    def method(self, x: int) -> int:
        return x * self.factor

    @pe.track("tracked.classmethod")
    @classmethod
    def make(cls, factor: int) -> Tracked:
        return cls(factor)

    @pe.track("tracked.staticmethod")
    @staticmethod
    def double(x: int) -> int:
        return 2 * x

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tracked) and other.factor == self.factor

    def __hash__(self) -> int:
        return self.factor


def plain_function(x: int) -> int:
    return x + 1


class Plain:
    def __init__(self, factor: int = 2) -> None:
        self.factor = factor

    def method(self, x: int) -> int:
        return x * self.factor

    @classmethod
    def make(cls, factor: int) -> Plain:
        return cls(factor)

    @staticmethod
    def double(x: int) -> int:
        return 2 * x

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Plain) and other.factor == self.factor

    def __hash__(self) -> int:
        return self.factor


def kinds(module: Any, prefix: str) -> dict[str, Any]:
    """The callables of one family, by kind, as an application reaches them."""
    function = getattr(module, f"{prefix.lower()}_function")
    cls = getattr(module, prefix)
    instance = cls(3)
    return {"function": function, "Class.method": cls.method, "instance.method": instance.method,
            "Class.classmethod": cls.make, "instance.classmethod": instance.make,
            "Class.staticmethod": cls.double, "instance.staticmethod": instance.double}
