"""Declared attribute sources: what is read, and what happens when reading fails."""

from __future__ import annotations

import logging
import warnings
from typing import Any

import pytest

import otel_product_events as pe
from otel_product_events import guard
from otel_product_events.testing import CapturedEvents


class Team:
    def __init__(self) -> None:
        self.id = "t-1"
        self.settings = {"plan": {"tier": "pro"}}

    @property
    def broken(self) -> str:
        raise RuntimeError("boom")


class TestSources:
    def test_parameter_paths_walk_attributes_and_mapping_keys(
        self, captured: CapturedEvents
    ) -> None:
        """A dotted path mixes attribute access and mapping keys."""

        @pe.track("team.viewed", attributes={"team.id": "team.id",
                                             "tier": "team.settings.plan.tier",
                                             "region": "options.region"})
        def view(team: Team, options: dict[str, str]) -> None:
            pass

        view(Team(), {"region": "eu", "token": "s3cret"})
        attributes = captured[0].attributes
        assert (attributes["team.id"], attributes["tier"], attributes["region"]) == (
            "t-1", "pro", "eu")
        assert "s3cret" not in repr(attributes)

    def test_keyword_positional_and_default_arguments_all_resolve(
        self, captured: CapturedEvents
    ) -> None:
        """The same parameter resolves whether passed by position, by keyword or defaulted."""

        @pe.track("page.viewed", attributes={"page": "page", "size": "size", "sort": "sort"})
        def view(page: int, size: int = 20, *, sort: str = "name") -> None:
            pass

        view(1)
        view(2, 50)
        view(page=3, size=10, sort="date")
        assert [(e.attributes["page"], e.attributes["size"], e.attributes["sort"])
                for e in captured] == [(1, 20, "name"), (2, 50, "name"), (3, 10, "date")]

    def test_var_keyword_and_var_positional_parameters(self, captured: CapturedEvents) -> None:
        """Names absent from the signature are read from **kwargs; *args by its name."""

        @pe.track("search.run", attributes={"query.kind": "kind", "terms": "terms"})
        def search(*terms: str, **options: Any) -> None:
            pass

        search("a", "b", kind="exact", secret="x")
        assert captured[0].attributes["query.kind"] == "exact"
        assert captured[0].attributes["terms"] == ("a", "b")
        assert "secret" not in repr(captured[0].attributes)

    def test_a_callable_source_sees_arguments_and_result(self, captured: CapturedEvents) -> None:
        """A callable receives the call: bound arguments by name (self included), and result."""
        seen: dict[str, Any] = {}

        def items_added(call: pe.Call) -> int:
            seen.update(call.arguments)
            return len(call.result) - len(call.arguments["before"])

        class Cart:
            @pe.track("cart.items.added", attributes={"added": items_added})
            def add(self, before: list[int], *new: int) -> list[int]:
                return [*before, *new]

        cart = Cart()
        cart.add([1], 2, 3)
        assert captured[0].attributes["added"] == 2
        assert seen == {"self": cart, "before": [1], "new": (2, 3)}

    def test_return_value_itself(self, captured: CapturedEvents) -> None:
        """"return" alone is the return value."""

        @pe.track("count.done", attributes={"count": "return"})
        def count() -> int:
            return 7

        count()
        assert captured[0].attributes["count"] == 7


class TestNothingUndeclaredIsCaptured:
    def test_only_declared_attributes_are_present(self, captured: CapturedEvents) -> None:
        """Arguments not named in the mapping appear nowhere in the event or the span."""

        @pe.track("signup.completed", attributes={"plan": "plan"})
        def signup(email: str, password: str, plan: str) -> str:
            return "user-" + email

        signup("ann@example.com", "hunter2", "pro")
        exported = repr(captured[0]) + repr([s.to_json() for s in captured.spans])
        for private in ("ann@example.com", "hunter2", "user-ann"):
            assert private not in exported
        assert set(captured[0].attributes) == {
            "plan", "code.function.name", "product.outcome", "log.record.uid",
            "app.installation.id"}


class TestFailingSources:
    def test_a_failing_source_drops_only_that_attribute(
        self, captured: CapturedEvents, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A missing attribute or a raising property drops one attribute, never the call."""

        @pe.track("team.viewed", attributes={"team.id": "team.id", "missing": "team.nope",
                                             "broken": "team.broken",
                                             "raising": lambda call: 1 / 0})
        def view(team: Team) -> str:
            return "viewed"

        with caplog.at_level(logging.WARNING, logger="otel_product_events"):
            assert view(Team()) == "viewed"
        assert captured[0].attributes["team.id"] == "t-1"
        for key in ("missing", "broken", "raising"):
            assert key not in captured[0].attributes
        assert pe.stats()["attributes_dropped"] == 3
        messages = [r.getMessage() for r in caplog.records]
        assert any("'missing'" in m and "AttributeError" in m for m in messages)
        assert any("'raising'" in m and "ZeroDivisionError" in m for m in messages)

    def test_the_warning_is_rate_limited_but_every_drop_is_counted(
        self, captured: CapturedEvents, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A hundred failing calls log one line and count a hundred drops."""

        @pe.track("op.done", attributes={"gone": "value.gone"})
        def op(value: object) -> None:
            pass

        with caplog.at_level(logging.WARNING, logger="otel_product_events"):
            for _ in range(100):
                op(object())
        assert len(caplog.records) == 1
        assert pe.stats()["attributes_dropped"] == 100
        assert len(captured) == 100

    def test_warning_never_quotes_the_value(
        self, captured: CapturedEvents, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Reporting a value that cannot be sent names its type, not its content."""

        class Secret:
            def __repr__(self) -> str:
                return "SECRET-REPR"

        @pe.track("op.done", attributes={"obj": "value"})
        def op(value: object) -> None:
            pass

        with caplog.at_level(logging.WARNING, logger="otel_product_events"):
            op(Secret())
        assert "obj" not in captured[0].attributes
        assert "SECRET" not in caplog.text
        assert "Secret is not a str" in caplog.text


class TestDecorationMistakes:
    def test_an_unknown_parameter_warns_at_decoration_and_is_never_sent(self) -> None:
        """A typo in a source warns (pointing at the decorated code), and the call still works."""
        with pytest.warns(pe.ProductEventsWarning, match=r"'taem_id', which is not a parameter"):

            @pe.track("team.viewed", attributes={"team.id": "taem_id"})
            def view(team_id: str) -> str:
                return team_id

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert view("t") == "t"

    def test_warning_points_at_the_callers_file(self) -> None:
        """The warning's location is the file that used @track, not the library."""
        with pytest.warns(pe.ProductEventsWarning) as record:

            @pe.track("x", attributes={"a": "nope"})
            def f() -> None:
                pass

        assert record[0].filename == __file__

    def test_reserved_keys_cannot_be_declared(self) -> None:
        """Metadata keys belong to the library; declaring one warns and is ignored."""
        with pytest.warns(pe.ProductEventsWarning, match="set by the library"):

            @pe.track("x", attributes={"product.outcome": "v"})
            def f(v: str) -> None:
                pass

    def test_invalid_source_warns(self) -> None:
        """A source that is neither a string path nor a callable warns."""
        with pytest.warns(pe.ProductEventsWarning, match="invalid source"):

            @pe.track("x", attributes={"a": 42})  # type: ignore[dict-item]
            def f() -> None:
                pass

    def test_missing_event_name_is_a_type_error(self) -> None:
        """@track without a name is a programming error, reported at once with the fix."""
        with pytest.raises(TypeError, match=r'write @track\("thing.happened"\)'):
            pe.track(lambda: None)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="non-empty string"):
            pe.track("  ")


def test_guard_counts_are_visible_in_stats() -> None:
    """Counters reported by the guard show up in pe.stats()."""
    guard.count("events_dropped", 2)
    assert pe.stats() == {"events_dropped": 2}


def test_a_callable_reading_the_result_of_a_failed_call_is_skipped_quietly(
    captured: CapturedEvents,
) -> None:
    """call.result is None after an exception; a callable tripping on it is no data problem."""

    @pe.track("op.done", attributes={"size": lambda call: len(call.result),
                                     "arg": lambda call: call.arguments["value"]})
    def op(value: int) -> list[int]:
        raise RuntimeError

    with pytest.raises(RuntimeError):
        op(3)
    assert captured[0].attributes["arg"] == 3
    assert "size" not in captured[0].attributes
    assert pe.stats() == {}
