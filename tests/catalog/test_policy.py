"""Hashed attributes, and the catalog in force: only declared events and attributes leave."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter

import otel_product_events as pe
from otel_product_events import guard
from otel_product_events.catalog.model import parse_catalog
from otel_product_events.privacy.hashing import hash_value
from otel_product_events.testing import CapturedEvents
from tests.helpers import otlp_bytes

CATALOG = parse_catalog("""
events:
  signup.completed:
    description: A user signed up.
    attributes:
      user.id: {type: string, hash: true, description: Who (hashed).}
      plan: {type: string, description: The plan chosen.}
      seats: {type: int, description: Seats bought.}
  signup.started:
    description: A user started signing up.
""", path="policy-catalog.yaml")


class TestHashed:
    def test_a_hashed_source_sends_the_digest(self, captured: CapturedEvents) -> None:
        @pe.track("login", attributes={"user.id": pe.hashed("user_id"),
                                       "email": pe.hashed("user.email")})
        def login(user_id: int, user: Any) -> None:
            pass

        class User:
            email = "ann@example.com"

        login(42, User())
        assert captured[0].attributes["user.id"] == hash_value("42")
        assert captured[0].attributes["email"] == hash_value("ann@example.com")
        assert "ann@example.com" not in repr(captured[0].attributes)

    def test_hashed_values_in_emit_and_context(self, captured: CapturedEvents) -> None:
        with pe.product_context({"account": pe.hashed("acct-9")}):
            pe.emit("viewed", {"user.id": pe.hashed("u-1"), "absent": pe.hashed(None)})
        attributes = captured[0].attributes
        assert (attributes["user.id"], attributes["account"]) == (hash_value("u-1"),
                                                                 hash_value("acct-9"))
        assert "absent" not in attributes

    def test_a_hashed_count_hashes_the_count(self, captured: CapturedEvents) -> None:
        @pe.track("bulk", attributes={"n": pe.hashed(pe.count_of("items"))})
        def bulk(items: list[int]) -> None:
            pass

        bulk([1, 2, 3])
        assert captured[0].attributes["n"] == hash_value(3)


@pytest.fixture
def catalog_in_force() -> Iterator[None]:
    pe.enforce_catalog(CATALOG)
    yield
    pe.enforce_catalog(None)


@pytest.mark.usefixtures("catalog_in_force")
class TestCatalogInForce:
    def test_undeclared_attributes_and_events_are_dropped_and_counted(
        self, captured: CapturedEvents, caplog: pytest.LogCaptureFixture
    ) -> None:
        guard.set_strict(False)
        with caplog.at_level(logging.WARNING, logger="otel_product_events"):
            pe.emit("signup.completed", {"plan": "pro", "seats": 3, "email": "x@example.com"})
            pe.emit("signup.abandoned", {"plan": "pro"})
            pe.emit("signup.completed", {"plan": "pro", "seats": "three"})
        assert captured.names() == ["signup.completed", "signup.completed"]
        assert "email" not in captured[0].attributes
        assert "seats" not in captured[1].attributes
        assert pe.stats() == {"attributes_dropped_undeclared": 1,
                              "events_dropped_undeclared": 1, "attributes_dropped_type": 1}
        assert "signup.abandoned" in caplog.text
        assert "x@example.com" not in caplog.text

    def test_metadata_always_passes(self, captured: CapturedEvents) -> None:
        @pe.track("signup.completed", attributes={"plan": "plan"})
        def signup(plan: str) -> None:
            raise ValueError("no seats left")

        with pytest.raises(ValueError, match="no seats left"):
            signup("pro")
        assert {"code.function.name", "product.outcome", "error.type", "log.record.uid",
                "app.installation.id", "plan"} == set(captured[0].attributes)

    def test_an_attribute_declared_hashed_is_hashed_even_if_the_code_forgot(
        self, captured: CapturedEvents
    ) -> None:
        pe.emit("signup.completed", {"user.id": "u-1"})
        assert captured[0].attributes["user.id"] == hash_value("u-1")

    def test_already_hashed_values_are_not_hashed_twice(self, captured: CapturedEvents) -> None:
        pe.emit("signup.completed", {"user.id": pe.hashed("u-1")})
        assert captured[0].attributes["user.id"] == hash_value("u-1")

    def test_strict_mode_raises_for_the_host_apps_ci(self) -> None:
        guard.set_strict(True)
        with pytest.raises(pe.ProductEventsError, match="not declared for it"):
            pe.emit("signup.completed", {"email": "x"})

        @pe.track("signup.nope")
        def nope() -> None:
            pass

        with pytest.raises(pe.ProductEventsError, match=r"'signup\.nope' is not declared"):
            nope()


secret = st.text(min_size=12, max_size=100).filter(lambda s: len(s.encode()) >= 12)


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(user_id=secret, undeclared=secret, plan=st.text(max_size=20))
def test_hashed_and_undeclared_values_never_reach_the_wire(
    log_exporter: InMemoryLogRecordExporter, user_id: str, undeclared: str, plan: str
) -> None:
    """With the catalog in force: a hashed attribute (even without pe.hashed) and an
    undeclared one never appear in the OTLP request, only the declared plan does."""
    assume(user_id not in plan and undeclared not in plan)
    guard.set_strict(False)
    pe.enforce_catalog(CATALOG)
    try:
        log_exporter.clear()
        pe.emit("signup.completed", {"plan": "-"})
        baseline = otlp_bytes(log_exporter.get_finished_logs())
        assume(user_id.encode() not in baseline and undeclared.encode() not in baseline)
        log_exporter.clear()
        pe.emit("signup.completed", {"user.id": user_id, "notes": undeclared, "plan": plan})
        payload = otlp_bytes(log_exporter.get_finished_logs())
    finally:
        pe.enforce_catalog(None)
    assert user_id.encode() not in payload
    assert undeclared.encode() not in payload
    assert hash_value(user_id).encode() in payload


ENV_APP = """
import json
import otel_product_events as pe
from otel_product_events.testing import capture_events
with capture_events() as captured:
    pe.emit("incident.created", {"team.id": "t", "incident.name": "DB down"})
    pe.emit("not.in.catalog")
print(json.dumps([[e.name, sorted(e.attributes)] for e in captured]))
"""


def test_the_catalog_variable_puts_the_catalog_in_force(tmp_path: Any) -> None:
    from tests.helpers import REPO, last_json_line, run_python

    report = last_json_line(run_python(ENV_APP, {
        "OTEL_PRODUCT_EVENTS_CATALOG": str(REPO / "examples/incident_response_plain/catalog.yaml"),
        "OTEL_PRODUCT_EVENTS_STATE_DIR": str(tmp_path)}))
    assert report == [["incident.created", ["app.installation.id", "log.record.uid", "team.id"]]]


def test_a_broken_catalog_fails_closed_with_a_warning(tmp_path: Any) -> None:
    """An allow-list that cannot be read must not silently stop applying."""
    from tests.helpers import last_json_line, run_python

    broken = tmp_path / "catalog.yaml"
    broken.write_text("events: [not, a, mapping]\n")
    process = run_python(ENV_APP, {"OTEL_PRODUCT_EVENTS_CATALOG": str(broken),
                                   "OTEL_PRODUCT_EVENTS_STATE_DIR": str(tmp_path)})
    assert last_json_line(process) == []
    assert "cannot be used, so no event is sent until the file changes" in process.stderr
