"""The opentelemetry-instrument entry point: found, switchable off, never raising, and its
uninstrument really undoes instrument."""

from __future__ import annotations

import importlib
import importlib.metadata
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from otel_product_events import environment_variables
from otel_product_events.auto import instrumentor
from otel_product_events.auto.instrumentor import ProductEventsInstrumentor
from otel_product_events.testing import CapturedEvents
from tests.auto.conftest import TRACKED, MakeModule, how_tracked
from tests.helpers import REPO

#: The virtualenv's scripts (opentelemetry-instrument, otel-product-events).
BIN = Path(sys.executable).parent


@pytest.fixture
def instrumentor_() -> Iterator[ProductEventsInstrumentor]:
    """The (singleton) instrumentor, uninstrumented again after the test."""
    instance = ProductEventsInstrumentor()
    yield instance
    instance.uninstrument()


class TestEntryPoints:
    def test_the_instrumentor_is_registered_for_opentelemetry_instrument(self) -> None:
        """`opentelemetry-instrument` loads entry points of the opentelemetry_instrumentor
        group; ours is named otel_product_events (for OTEL_PYTHON_DISABLED_INSTRUMENTATIONS)."""
        (entry,) = [e for e in importlib.metadata.entry_points(group="opentelemetry_instrumentor")
                    if e.name == "otel_product_events"]
        assert entry.load() is ProductEventsInstrumentor

    def test_the_environment_variables_module_holds_only_our_own_names(self) -> None:
        """A foreign OTEL_* name there would make opentelemetry-instrument abort on a flag
        registered twice; ours become --product_events_* flags."""
        (entry,) = [e for e in importlib.metadata.entry_points(
            group="opentelemetry_environment_variables") if e.name == "otel_product_events"]
        module = entry.load()
        assert module is environment_variables
        names = {k: v for k, v in vars(module).items() if k.startswith("OTEL")}
        assert {"OTEL_PRODUCT_EVENTS_TRACK", "OTEL_PRODUCT_EVENTS_CATALOG"} <= set(names)
        assert all(k.startswith("OTEL_PRODUCT_EVENTS_") and v == k for k, v in names.items())

    def test_the_instrumentor_has_no_dependencies_to_check(self) -> None:
        """It instruments the application's own code, so it is loaded whatever is installed."""
        assert tuple(ProductEventsInstrumentor().instrumentation_dependencies()) == ()


class TestInstrumentCycle:
    def test_instrument_uninstrument_instrument_tracks_then_not_then_again(
            self, make_module: MakeModule, monkeypatch: pytest.MonkeyPatch,
            instrumentor_: ProductEventsInstrumentor, captured: CapturedEvents) -> None:
        """The BaseInstrumentor cycle, driven by OTEL_PRODUCT_EVENTS_TRACK."""
        app: Any = importlib.import_module(make_module())
        monkeypatch.setenv("OTEL_PRODUCT_EVENTS_TRACK", f"{app.__name__}:Cart.add=cart.item.added")
        instrumentor_.instrument()
        app.Cart("t").add("a")
        instrumentor_.uninstrument()
        app.Cart("t").add("b")
        instrumentor_.instrument()
        app.Cart("t").add("c")
        assert [e.name for e in captured] == ["cart.item.added", "cart.item.added"]
        assert [s.attributes["code.function.name"] for s in captured.spans] == [
            f"{app.__name__}.Cart.add"] * 2

    def test_instrument_never_raises_even_when_our_code_fails(
            self, monkeypatch: pytest.MonkeyPatch, instrumentor_: ProductEventsInstrumentor,
            caplog: pytest.LogCaptureFixture) -> None:
        """The contrib loader skips every later instrumentor when one raises: ours never does."""
        def broken(*args: object) -> None:
            raise RuntimeError("bug")

        monkeypatch.setattr(instrumentor, "instrument", broken)
        with caplog.at_level(logging.WARNING, logger="otel_product_events"):
            instrumentor_.instrument()
        assert "internal error in instrumentor (RuntimeError)" in caplog.text


class TestOpentelemetryInstrument:
    CODE: ClassVar = f"import json; print({how_tracked('json.dumps')})"
    BASE: ClassVar = {"OTEL_PRODUCT_EVENTS_TRACK": "json:dumps=json.dumped",
                      "OTEL_TRACES_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none",
                      "OTEL_METRICS_EXPORTER": "none"}

    def test_opentelemetry_instrument_tracks_the_targets(self) -> None:
        """The standard launcher finds us through the entry point."""
        assert run_opentelemetry_instrument(self.CODE, self.BASE) == TRACKED

    @pytest.mark.parametrize("switch", [
        {"OTEL_PYTHON_DISABLED_INSTRUMENTATIONS": "otel_product_events"},
        {"DO_NOT_TRACK": "1"}, {"OTEL_PRODUCT_EVENTS_ENABLED": "false"}],
        ids=lambda env: next(iter(env)))
    def test_disabling_us_or_opting_out_leaves_the_targets_alone(
            self, switch: dict[str, str]) -> None:
        """OTel's own switch and our opt-outs both mean: nothing is wrapped."""
        assert run_opentelemetry_instrument(self.CODE, {**self.BASE, **switch}) == "none"


def run_opentelemetry_instrument(code: str, env: dict[str, str]) -> str:
    """Runs ``python -c code`` under opentelemetry-instrument; returns its stdout."""
    environ = {k: v for k, v in os.environ.items()
               if k not in ("OTEL_PRODUCT_EVENTS_STRICT", "DO_NOT_TRACK", "OTEL_SDK_DISABLED",
                            "OTEL_PRODUCT_EVENTS_ENABLED")}
    environ.update(env)
    done = subprocess.run([str(BIN / "opentelemetry-instrument"), sys.executable, "-c", code],
                          env=environ, cwd=REPO, capture_output=True, text=True, timeout=60,
                          check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()
