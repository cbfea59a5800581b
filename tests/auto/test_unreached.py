"""Wrapping (Python 3.10/3.11, or no free tool id) cannot reach a reference the application
took before the hook: such a target, when it never fired, is named in one warning at exit
with the way out (3.12+, or @track). Known framework registrations are wrapped where made."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterator
from typing import Any

import pytest

from otel_product_events.auto import hooks, registries
from otel_product_events.catalog.targets import parse_track_variable
from otel_product_events.testing import CapturedEvents
from tests.auto.conftest import MakeModule

APP = '''
def registered():
    return "r"

def plain():
    return "p"

TABLE = {"r": registered}
'''


@pytest.fixture
def wrapping() -> Iterator[Any]:
    started: list[hooks.Instrumentation] = []

    def start(text: str) -> hooks.Instrumentation:
        instrumentation = hooks.Instrumentation(parse_track_variable(text).targets,
                                                engine="wrap")
        instrumentation.start()
        started.append(instrumentation)
        return instrumentation

    yield start
    for instrumentation in started:
        instrumentation.stop()


def unreached_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "emitted no event" in r.getMessage()]


def test_a_target_held_in_a_table_before_the_hook_is_named_at_exit(
        make_module: MakeModule, wrapping: Any, caplog: pytest.LogCaptureFixture) -> None:
    app: Any = importlib.import_module(make_module(APP))
    instrumentation = wrapping(f"{app.__name__}:registered=r.called,{app.__name__}:plain=p.x")
    app.TABLE["r"]()  # the original: no event
    instrumentation.report_unimported()  # what runs at exit
    (warning,) = unreached_warnings(caplog)
    assert f"{app.__name__}:registered emitted no event" in warning
    assert "@pe.track" in warning
    assert f"{app.__name__}:plain" not in warning  # merely not called: no alarm


def test_a_target_that_fired_is_not_named(
        make_module: MakeModule, wrapping: Any, caplog: pytest.LogCaptureFixture,
        captured: CapturedEvents) -> None:
    app: Any = importlib.import_module(make_module(APP))
    instrumentation = wrapping(f"{app.__name__}:registered=r.called")
    app.registered()
    instrumentation.report_unimported()
    assert unreached_warnings(caplog) == []
    assert captured.names() == ["r.called"]


@pytest.mark.parametrize(("module", "path", "parameter"), [
    (module, path, parameter) for module, entries in registries.REGISTRATIONS.items()
    for path, parameter in entries])
def test_each_registration_hook_matches_the_installed_framework(
        module: str, path: str, parameter: str) -> None:
    """A framework release that renames a method or parameter fails here, not silently."""
    found: Any = importlib.import_module(module)
    for part in path.split("."):
        found = getattr(found, part)
    assert parameter in inspect.signature(inspect.unwrap(found)).parameters
