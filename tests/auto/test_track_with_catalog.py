"""Decorated code pointing at the catalog: events declared there, attributes checked and,
when the decorator declares none, read from it."""

from __future__ import annotations

import pytest

import otel_product_events as pe
from otel_product_events.catalog.model import parse_catalog
from otel_product_events.privacy.hashing import hash_value
from otel_product_events.testing import CapturedEvents

CATALOG = parse_catalog("""
events:
  order.placed:
    description: An order was placed.
    attributes:
      order.id: {from: return.id, type: string, description: The order.}
      order.lines: {from: lines, count: true, type: int, description: Lines in the order.}
      customer.email: {from: email, hash: true, type: string, description: Who ordered.}
      tenant.id: {type: string, description: From product_context.}
""", path="catalog.yaml")


class Order:
    def __init__(self, order_id: str) -> None:
        self.id = order_id


class TestTrackWithCatalog:
    def test_without_attributes_the_catalog_sources_are_used(
            self, captured: CapturedEvents) -> None:
        """`@track(event, catalog=...)` sends what the catalog declares, read as declared."""
        @pe.track("order.placed", catalog=CATALOG)
        def place(lines: list[str], email: str) -> Order:
            return Order("o-1")

        place(["a", "b", "c"], "ann@example.com")
        attributes = captured[0].attributes
        assert attributes["order.id"] == "o-1"
        assert attributes["order.lines"] == 3

    def test_an_attribute_declared_with_hash_is_sent_hashed(
            self, captured: CapturedEvents) -> None:
        """The raw value of an attribute meant to be hashed never leaves the process."""
        @pe.track("order.placed", catalog=CATALOG)
        def place(lines: list[str], email: str) -> Order:
            return Order("o-1")

        place([], "ann@example.com")
        assert captured[0].attributes["customer.email"] == hash_value("ann@example.com")
        assert "ann@example.com" not in repr(captured[0].attributes)

    def test_hash_true_also_hashes_an_attribute_given_in_the_decorator(
            self, captured: CapturedEvents) -> None:
        """Forgetting pe.hashed() in attributes= cannot leak a value the catalog hashes."""
        @pe.track("order.placed", catalog=CATALOG, attributes={"customer.email": "email"})
        def place(email: str) -> None:
            pass

        place("ann@example.com")
        assert captured[0].attributes["customer.email"] == hash_value("ann@example.com")

    def test_an_event_missing_from_the_catalog_warns_at_the_decorated_line(self) -> None:
        """A typo in the event name is caught where the decorator is."""
        with pytest.warns(pe.ProductEventsWarning,
                          match="event 'order.place' is not declared in the event catalog "
                                "catalog.yaml") as warned:
            @pe.track("order.place", catalog=CATALOG)
            def place() -> None: ...
        assert warned[0].filename == __file__

    def test_an_attribute_missing_from_the_catalog_warns(self) -> None:
        """Sending something the catalog does not declare is flagged."""
        with pytest.warns(pe.ProductEventsWarning,
                          match="sends 'order.total', not declared for it in the event catalog"):
            @pe.track("order.placed", catalog=CATALOG, attributes={"order.total": "total"})
            def place(total: float) -> None: ...

    def test_declared_attributes_given_in_code_pass_without_a_warning(
            self, captured: CapturedEvents) -> None:
        """Explicit attributes that the catalog declares are fine (warnings are errors here)."""
        @pe.track("order.placed", catalog=CATALOG, attributes={"order.id": "order_id"})
        def place(order_id: str) -> None: ...

        place("o-9")
        assert captured[0].attributes["order.id"] == "o-9"
