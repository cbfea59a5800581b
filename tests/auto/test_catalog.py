"""The event catalog: loaded into frozen declarations, or refused with every problem named by
file, event, attribute and field, and how to fix it."""

from __future__ import annotations

import dataclasses
import re
import textwrap
from pathlib import Path

import pytest

from otel_product_events.catalog.model import (
    AttributeSpec,
    Catalog,
    CatalogError,
    EventSpec,
    load_catalog,
    parse_catalog,
)
from tests.helpers import REPO

VALID = """
events:
  incident.created:
    description: An incident was started.
    function: myapp.incidents:create_incident
    triggers: [the /incident start command]
    attributes:
      team.id:
        from: team_id
        type: string
        description: Team that owns the incident.
      checklist.count:
        from: return.checklists
        count: true
        type: int
        description: Checklists it started with.
      tenant.id:
        type: string
        description: Set by product_context.
  incident.finished:
    description: An incident was ended.
"""


def load(tmp_path: Path, text: str) -> Catalog:
    path = tmp_path / "catalog.yaml"
    path.write_text(textwrap.dedent(text))
    return load_catalog(path)


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(CatalogError) as caught:
        load(tmp_path, text)
    return list(caught.value.problems)


def with_attribute(body: str) -> str:
    """A catalog whose one event has one attribute ``a.b`` declared by ``body``."""
    return ("events:\n  e.x:\n    description: Something.\n    attributes:\n      a.b:\n"
            + textwrap.indent(textwrap.dedent(body), "        "))


class TestLoadingAValidCatalog:
    def test_each_event_is_declared_with_its_description_function_and_triggers(
            self, tmp_path: Path) -> None:
        """The model holds what the file says."""
        event = load(tmp_path, VALID).events["incident.created"]
        assert event.description == "An incident was started."
        assert event.functions == ("myapp.incidents:create_incident",)
        assert event.triggers == ("the /incident start command",)

    def test_each_attribute_is_declared_with_source_type_description_and_flags(
            self, tmp_path: Path) -> None:
        """`from`, `type`, `description`, `count` and `hash` land on the attribute."""
        attributes = load(tmp_path, VALID).events["incident.created"].attributes
        assert attributes["team.id"] == AttributeSpec(
            "team.id", "string", "Team that owns the incident.", "team_id")
        assert attributes["checklist.count"].count is True
        assert attributes["tenant.id"].source is None

    def test_an_event_may_have_no_function_and_no_attributes(self, tmp_path: Path) -> None:
        """Only the description is required of an event."""
        event = load(tmp_path, VALID).events["incident.finished"]
        assert (event.functions, event.triggers, dict(event.attributes)) == ((), (), {})

    def test_function_may_be_a_list_of_targets(self, tmp_path: Path) -> None:
        """One event may be emitted by several functions."""
        catalog = load(tmp_path, """
            events:
              e.x:
                description: Something.
                function: [a:f, b.c:K.m]
            """)
        assert catalog.events["e.x"].functions == ("a:f", "b.c:K.m")

    def test_hash_is_accepted_as_a_boolean(self, tmp_path: Path) -> None:
        """`hash: true` is part of the format: the value is sent as its one-way hash."""
        catalog = load(tmp_path, with_attribute("""
            from: user_id
            type: string
            description: The user.
            hash: true
            """))
        assert catalog.events["e.x"].attributes["a.b"].hash is True

    def test_yaml_anchors_and_merge_keys_share_attributes_between_events(
            self, tmp_path: Path) -> None:
        """`&name`, `*name` and `<<: *name` work, as in the example catalog."""
        catalog = load(tmp_path, """
            events:
              a.x:
                description: A.
                attributes: &shared
                  id: {from: return.id, type: string, description: Id.}
              b.x:
                description: B.
                attributes:
                  <<: *shared
                  user.id: {from: user_id, type: string, description: User.}
            """)
        assert list(catalog.events["b.x"].attributes) == ["id", "user.id"]

    def test_the_declarations_are_frozen(self, tmp_path: Path) -> None:
        """Nobody changes the catalog after it was validated."""
        catalog = load(tmp_path, VALID)
        event = catalog.events["incident.created"]
        with pytest.raises(dataclasses.FrozenInstanceError):
            event.description = "changed"  # type: ignore[misc]
        with pytest.raises(TypeError):
            event.attributes["x"] = event.attributes["team.id"]  # type: ignore[index]

    def test_the_readme_catalog_is_valid(self) -> None:
        """The YAML shown in the README's zero-code section loads as shown."""
        readme = (REPO / "README.md").read_text()
        section = readme[readme.index("## Zero-code instrumentation"):]
        snippet = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
        assert snippet is not None
        event = parse_catalog(snippet[1], path="README.md").events["incident.created"]
        assert event.attributes["incident.checklist.count"].count is True

    def test_the_example_catalog_is_valid(self) -> None:
        """examples/incident_response_plain/catalog.yaml loads, with all eleven events."""
        catalog = load_catalog(REPO / "examples/incident_response_plain/catalog.yaml")
        assert len(catalog.events) == 11
        assert isinstance(catalog.events["playbook.created"], EventSpec)


class TestCatalogErrors:
    def test_a_missing_file_is_named_with_the_reason(self, tmp_path: Path) -> None:
        """The path and the OS reason, and a hint about relative paths."""
        with pytest.raises(CatalogError) as caught:
            load_catalog(tmp_path / "nope.yaml")
        message = str(caught.value)
        assert f"{tmp_path / 'nope.yaml'}: cannot be read (No such file or directory)" in message
        assert "relative paths start at the working directory" in message

    def test_invalid_yaml_is_reported_with_file_line_and_column(self, tmp_path: Path) -> None:
        """A YAML syntax error points at its place in the file."""
        (problem,) = problems(tmp_path, "events:\n  e.x: [unclosed\n")
        assert problem.startswith(f"{tmp_path / 'catalog.yaml'}:3:1: not valid YAML")

    def test_a_duplicate_key_is_an_error_not_a_silent_overwrite(self, tmp_path: Path) -> None:
        """PyYAML would keep the last of two equal keys; the catalog refuses them."""
        (problem,) = problems(tmp_path, """
            events:
              e.x: {description: First.}
              e.x: {description: Second.}
            """)
        assert "duplicate key 'e.x'" in problem
        assert ":4:" in problem

    def test_a_file_without_events_says_what_the_top_level_must_be(
            self, tmp_path: Path) -> None:
        """The top level is a mapping with `events:`."""
        (problem,) = problems(tmp_path, "- just\n- a list\n")
        assert problem == (f"{tmp_path / 'catalog.yaml'}: the file must be a mapping with an "
                           "'events:' key holding one entry per event name")

    def test_an_unknown_top_level_key_is_named(self, tmp_path: Path) -> None:
        """A typo next to `events:` is not silently ignored."""
        (problem,) = problems(tmp_path, VALID + "version: 2\n")
        assert "unknown field 'version'; the fields here are events" in problem

    def test_an_event_without_a_description_names_the_event_and_the_field(
            self, tmp_path: Path) -> None:
        """Every event says what it means."""
        (problem,) = problems(tmp_path, "events:\n  e.x:\n    function: a:f\n")
        assert problem == (f"{tmp_path / 'catalog.yaml'}, event 'e.x', field 'description': "
                           "is missing; say in a sentence what it means")

    def test_an_unknown_event_field_is_named_with_the_allowed_fields(
            self, tmp_path: Path) -> None:
        """`atributes` (a typo) is an error that lists the fields."""
        (problem,) = problems(tmp_path, "events:\n  e.x:\n    description: X.\n"
                                        "    atributes: {}\n")
        assert "event 'e.x': unknown field 'atributes'; the fields here are description, " \
               "function, triggers, attributes" in problem

    def test_an_invalid_function_names_the_event_and_the_expected_form(
            self, tmp_path: Path) -> None:
        """`function:` uses the module:qualname form of the variable."""
        (problem,) = problems(tmp_path, "events:\n  e.x:\n    description: X.\n"
                                        "    function: myapp.create\n")
        assert "event 'e.x', field 'function': 'myapp.create' needs the form " \
               "module:qualname" in problem

    def test_triggers_must_be_a_list_of_sentences(self, tmp_path: Path) -> None:
        """A single string (not a list) is refused."""
        (problem,) = problems(tmp_path, "events:\n  e.x:\n    description: X.\n"
                                        "    triggers: a button\n")
        assert "event 'e.x', field 'triggers': must be a list of sentences" in problem

    def test_an_attribute_without_a_type_names_event_attribute_and_field(
            self, tmp_path: Path) -> None:
        """The message lists the types to choose from."""
        (problem,) = problems(tmp_path, with_attribute("description: X.\n"))
        assert problem == (
            f"{tmp_path / 'catalog.yaml'}, event 'e.x', attribute 'a.b', field 'type': missing; "
            "use one of string, int, double, boolean, bytes, string[], int[], double[], "
            "boolean[], map")

    def test_an_unknown_type_is_named(self, tmp_path: Path) -> None:
        """`type: str` is not a type of the catalog (string is)."""
        (problem,) = problems(tmp_path, with_attribute("type: str\ndescription: X.\n"))
        assert "attribute 'a.b', field 'type': 'str' is not a type; use one of string," in problem

    def test_an_attribute_without_a_description_is_refused(self, tmp_path: Path) -> None:
        """People read the catalog: every attribute says what it is."""
        (problem,) = problems(tmp_path, with_attribute("type: string\n"))
        assert "attribute 'a.b', field 'description': is missing" in problem

    def test_a_source_that_is_not_a_parameter_or_return_path_is_refused(
            self, tmp_path: Path) -> None:
        """`from:` follows the syntax of track(attributes=...)."""
        (problem,) = problems(tmp_path, with_attribute(
            "from: user id\ntype: string\ndescription: X.\n"))
        assert "attribute 'a.b', field 'from': 'user id' is not a source; write a parameter " \
               "name with an optional dotted path" in problem

    def test_count_without_a_source_is_refused(self, tmp_path: Path) -> None:
        """There is nothing to count without `from:`."""
        (problem,) = problems(tmp_path, with_attribute(
            "count: true\ntype: int\ndescription: X.\n"))
        assert "attribute 'a.b', field 'count': needs 'from'" in problem

    def test_count_with_a_type_other_than_int_is_refused(self, tmp_path: Path) -> None:
        """A count is an int."""
        (problem,) = problems(tmp_path, with_attribute(
            "from: items\ncount: true\ntype: string\ndescription: X.\n"))
        assert "field 'count': count: true sends an int; declare 'type: int'" in problem

    def test_hash_must_be_a_boolean(self, tmp_path: Path) -> None:
        """`hash: yes please` is not true or false."""
        (problem,) = problems(tmp_path, with_attribute(
            "from: u\ntype: string\ndescription: X.\nhash: sha256\n"))
        assert "attribute 'a.b', field 'hash': must be true or false, got 'sha256'" in problem

    def test_an_attribute_the_library_sets_itself_is_refused(self, tmp_path: Path) -> None:
        """log.record.uid, product.outcome, ... are metadata, not declarations."""
        (problem,) = problems(tmp_path, "events:\n  e.x:\n    description: X.\n"
                                        "    attributes:\n      product.outcome:\n"
                                        "        type: string\n        description: X.\n")
        assert "attribute 'product.outcome': is set by the library itself" in problem

    def test_every_problem_is_reported_at_once(self, tmp_path: Path) -> None:
        """Fixing a file should not take one run per mistake."""
        found = problems(tmp_path, """
            events:
              a.x: {function: nope}
              b.x:
                description: B.
                attributes:
                  c: {type: strin, description: C.}
            """)
        assert len(found) == 3
        assert all(p.startswith(str(tmp_path / "catalog.yaml")) for p in found)

    def test_the_error_message_names_the_file_and_counts_the_problems(
            self, tmp_path: Path) -> None:
        """str(CatalogError) is readable on its own, one problem per line."""
        with pytest.raises(CatalogError) as caught:
            parse_catalog("events: {}", path="shop/catalog.yaml")
        assert str(caught.value).startswith("invalid event catalog shop/catalog.yaml (1 problem):"
                                            "\n  - shop/catalog.yaml, field 'events': ")
