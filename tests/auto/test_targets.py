"""Targets from OTEL_PRODUCT_EVENTS_TRACK and the catalog: parsed, merged, or reported."""

from __future__ import annotations

from pathlib import Path

from otel_product_events.attributes import DerivedSource
from otel_product_events.catalog.model import parse_catalog
from otel_product_events.catalog.targets import (
    Target,
    combine,
    parse_track_variable,
    targets_from_environment,
)

CATALOG = """
events:
  order.placed:
    description: An order was placed.
    function: shop.orders:place_order
    attributes:
      order.id: {from: return.id, type: string, description: The order.}
      order.lines: {from: lines, count: true, type: int, description: Lines in the order.}
  cart.item.added:
    description: An item went into a cart.
    attributes:
      cart.sku: {from: sku, type: string, description: The product.}
"""


class TestParseTrackVariable:
    def test_a_function_target_names_module_qualname_and_event(self) -> None:
        """`module:function=event` is one target."""
        parsed = parse_track_variable("shop.orders:place_order=order.placed")
        assert parsed.targets == (Target("shop.orders", "place_order", "order.placed"),)
        assert parsed.problems == ()

    def test_a_method_target_has_a_dotted_qualname(self) -> None:
        """`module:Class.method=event` names a method (or classmethod, staticmethod)."""
        (target,) = parse_track_variable("shop.cart:Cart.add=cart.item.added").targets
        assert (target.module, target.qualname) == ("shop.cart", "Cart.add")

    def test_targets_are_separated_by_commas_and_surrounding_whitespace_is_ignored(
            self) -> None:
        """Spaces and new lines around targets, and empty entries, are ignored."""
        parsed = parse_track_variable("\n  a:f = one.event ,, b.c:K.m=two.event,\n")
        assert [(t.function, t.event_name) for t in parsed.targets] == [
            ("a:f", "one.event"), ("b.c:K.m", "two.event")]
        assert parsed.problems == ()

    def test_an_empty_variable_has_no_targets_and_no_problems(self) -> None:
        """Unset and blank mean the same: nothing to track."""
        assert parse_track_variable("  ") == parse_track_variable("")
        assert parse_track_variable("").targets == ()

    def test_a_target_without_an_event_name_is_reported_and_the_others_kept(self) -> None:
        """A missing `=event.name` names the entry and the expected form."""
        parsed = parse_track_variable("shop:pay,shop:refund=payment.refunded")
        assert [t.function for t in parsed.targets] == ["shop:refund"]
        (problem,) = parsed.problems
        assert "OTEL_PRODUCT_EVENTS_TRACK" in problem
        assert "'shop:pay' needs an event name: module:qualname=event.name" in problem

    def test_a_target_without_a_colon_is_reported_with_an_example(self) -> None:
        """`module.function=event` (a dot instead of the colon) is explained."""
        (problem,) = parse_track_variable("shop.pay=payment.made").problems
        assert "'shop.pay' needs the form module:qualname" in problem
        assert "shop.orders:place_order" in problem

    def test_a_module_path_that_is_not_python_names_is_reported(self) -> None:
        """Dashes and slashes are not module paths."""
        (problem,) = parse_track_variable("my-shop/orders:pay=payment.made").problems
        assert "'my-shop/orders' is not a module path" in problem

    def test_a_qualname_that_is_not_python_names_is_reported(self) -> None:
        """Call syntax or spaces are not qualified names."""
        (problem,) = parse_track_variable("shop:pay()=payment.made").problems
        assert "'pay()' is not a qualified name" in problem


class TestCombine:
    def test_a_catalog_function_becomes_a_target_with_the_declared_sources(self) -> None:
        """`function:` plus `attributes: from:` is a target carrying those sources."""
        catalog = parse_catalog(CATALOG, path="catalog.yaml")
        (target,) = combine(parse_track_variable(""), catalog).targets
        assert target.function == "shop.orders:place_order"
        assert target.event_name == "order.placed"
        assert target.attributes["order.id"] == "return.id"
        assert target.origin == "catalog.yaml, event 'order.placed'"

    def test_count_true_becomes_a_derived_source(self) -> None:
        """`count: true` sends the number of items of the source."""
        catalog = parse_catalog(CATALOG, path="catalog.yaml")
        (target,) = combine(parse_track_variable(""), catalog).targets
        lines = target.attributes["order.lines"]
        assert isinstance(lines, DerivedSource)
        assert (lines.path, lines.derive) == ("lines", len)

    def test_an_environment_target_reads_the_attributes_the_catalog_declares(self) -> None:
        """The variable says where, the catalog says what."""
        catalog = parse_catalog(CATALOG, path="catalog.yaml")
        found = combine(parse_track_variable("shop.cart:Cart.add=cart.item.added"), catalog)
        added = next(t for t in found.targets if t.event_name == "cart.item.added")
        assert dict(added.attributes) == {"cart.sku": "sku"}
        assert found.problems == ()

    def test_an_environment_target_for_an_undeclared_event_is_kept_and_reported(self) -> None:
        """With a catalog, an event missing from it still goes out, without attributes."""
        catalog = parse_catalog(CATALOG, path="catalog.yaml")
        found = combine(parse_track_variable("shop:pay=payment.made"), catalog)
        assert any(t.function == "shop:pay" for t in found.targets)
        (problem,) = found.problems
        assert "the event catalog catalog.yaml does not declare this event" in problem

    def test_the_same_target_in_the_variable_and_the_catalog_is_tracked_once(self) -> None:
        """Listing a catalog function in the variable too does not double its events."""
        catalog = parse_catalog(CATALOG, path="catalog.yaml")
        found = combine(parse_track_variable("shop.orders:place_order=order.placed"), catalog)
        assert [t.function for t in found.targets] == ["shop.orders:place_order"]
        assert found.problems == ()

    def test_a_second_event_for_the_same_function_is_reported_and_ignored(self) -> None:
        """One event per function; the first declaration (the variable) wins."""
        found = combine(parse_track_variable("shop:pay=payment.made,shop:pay=payment.done"),
                        None)
        assert [(t.function, t.event_name) for t in found.targets] == [
            ("shop:pay", "payment.made")]
        (problem,) = found.problems
        assert "already emits 'payment.made'" in problem

    def test_a_target_in_main_is_ignored_with_the_reason_and_the_fix(self) -> None:
        """Functions of the script run as __main__ cannot be patched from outside."""
        found = combine(parse_track_variable("__main__:main=app.ran,shop:pay=payment.made"),
                        None)
        assert [t.function for t in found.targets] == ["shop:pay"]
        (problem,) = found.problems
        assert "'__main__:main'" in problem
        assert "cannot be patched from outside" in problem
        assert "move the function into a module the script imports" in problem


class TestTargetsFromEnvironment:
    def test_the_catalog_variable_names_a_file_whose_targets_are_used(
            self, tmp_path: Path) -> None:
        """OTEL_PRODUCT_EVENTS_CATALOG is read as a file path."""
        path = tmp_path / "catalog.yaml"
        path.write_text(CATALOG)
        found = targets_from_environment({"OTEL_PRODUCT_EVENTS_CATALOG": str(path)})
        assert [t.function for t in found.targets] == ["shop.orders:place_order"]

    def test_an_invalid_catalog_is_reported_and_the_variable_targets_still_count(
            self, tmp_path: Path) -> None:
        """A broken catalog costs its own targets only."""
        path = tmp_path / "catalog.yaml"
        path.write_text("events: [not, a, mapping]\n")
        found = targets_from_environment({"OTEL_PRODUCT_EVENTS_CATALOG": str(path),
                                          "OTEL_PRODUCT_EVENTS_TRACK": "shop:pay=payment.made"})
        assert [t.function for t in found.targets] == ["shop:pay"]
        (problem,) = found.problems
        assert problem.startswith("OTEL_PRODUCT_EVENTS_CATALOG: invalid event catalog")
        assert "No product event is sent until it is fixed" in problem

    def test_no_variables_means_no_targets_and_no_problems(self) -> None:
        """Zero-code instrumentation is off unless asked for."""
        assert targets_from_environment({}) == targets_from_environment({"X": "y"})
        assert targets_from_environment({}).targets == ()
