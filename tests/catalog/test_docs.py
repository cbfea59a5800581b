"""`catalog docs`: the "What we collect" page, compared with golden files.

After an intended change of the page, regenerate the golden files with
``UPDATE_GOLDEN=1 .venv/bin/pytest tests/catalog/test_docs.py`` and review the diff.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from otel_product_events import semconv
from otel_product_events.catalog.docs import render_docs
from otel_product_events.catalog.model import load_catalog, parse_catalog
from tests.catalog.conftest import EXAMPLE_CATALOG, HERE, SMALL_CATALOG, run

GOLDEN = HERE / "golden"


def assert_golden(text: str, name: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def headings(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("#")]


def test_the_example_catalog_renders_as_its_golden_page() -> None:
    """The incident-response catalog gives exactly the committed page."""
    assert_golden(render_docs(load_catalog(EXAMPLE_CATALOG)), "incident_response_plain.md")


def test_hashed_counted_triggered_lifecycle_and_bare_events_render_as_their_golden_page(
) -> None:
    """The small catalog (hash, count, triggers, functions, no attributes, a lifecycle pair,
    a pipe in a description) gives exactly the committed page."""
    assert_golden(render_docs(load_catalog(SMALL_CATALOG)), "small_catalog.md")


def test_the_page_depends_only_on_the_catalog_not_on_its_path_or_the_run(
        tmp_path: Path) -> None:
    """The same catalog read twice, from another directory, gives the same text."""
    copy = tmp_path / "elsewhere" / SMALL_CATALOG.name
    copy.parent.mkdir()
    shutil.copy(SMALL_CATALOG, copy)
    assert render_docs(load_catalog(copy)) == render_docs(load_catalog(SMALL_CATALOG))


def test_events_come_in_name_order_whatever_their_order_in_the_catalog() -> None:
    """Sections are sorted by event name."""
    catalog = parse_catalog("events:\n  b.second: {description: B.}\n"
                            "  a.first: {description: A.}\n")
    assert headings(render_docs(catalog))[-2:] == ["### `a.first`", "### `b.second`"]


def test_every_attribute_is_one_table_row_with_type_hashed_counted_and_description() -> None:
    """A description over several lines or holding a pipe stays in its one row."""
    catalog = parse_catalog("""
events:
  x.done:
    description: X.
    attributes:
      user.id: {hash: true, type: string, description: "who | which\\nuser"}
      items: {from: items, count: true, type: int, description: Items.}
""")
    rows = [line for line in render_docs(catalog).splitlines() if line.startswith("| `")]
    assert rows[-2:] == ["| `user.id` | string | yes | no | who \\| which user |",
                         "| `items` | int | no | number of items | Items. |"]


def test_run_id_and_duration_are_listed_only_when_there_are_lifecycle_events() -> None:
    """`product.run.id` and `product.duration_ms` appear for catalogs with `.started` or
    `.completed` events only."""
    plain = render_docs(parse_catalog("events:\n  a.b: {description: A.}\n"))
    lifecycle = render_docs(parse_catalog("events:\n  a.completed: {description: A.}\n"))
    assert "product.run.id" not in plain
    assert "`product.run.id`" in lifecycle
    assert "`product.duration_ms`" in lifecycle


def test_every_key_the_library_adds_to_an_event_is_explained() -> None:
    """Whatever metadata the library may add (semconv.METADATA_KEYS) has its row on the page."""
    text = render_docs(parse_catalog("events:\n  a.completed: {description: A.}\n"))
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    for key in semconv.METADATA_KEYS:
        assert any(f"`{key}`" in row for row in rows), key


def test_the_page_says_how_to_opt_out_and_what_every_event_carries() -> None:
    """Every opt-out switch and every metadata key is named on the page."""
    text = render_docs(parse_catalog("events:\n  a.b: {description: A.}\n"))
    for needle in ("DO_NOT_TRACK=1", "OTEL_PRODUCT_EVENTS_ENABLED=false",
                   "OTEL_SDK_DISABLED=true", "set_enabled(False)", "`log.record.uid`",
                   "`app.installation.id`", "`product.outcome`", "`error.type`",
                   "`code.function.name`", "`service.name`", "`service.version`"):
        assert needle in text


def test_docs_writes_to_standard_output_or_to_the_output_file(tmp_path: Path) -> None:
    """Both give the rendered page; with --output nothing is printed."""
    expected = render_docs(load_catalog(SMALL_CATALOG))
    assert run("docs", str(SMALL_CATALOG)) == (0, expected)
    output = tmp_path / "what-we-collect.md"
    assert run("docs", str(SMALL_CATALOG), "--output", str(output)) == (0, "")
    assert output.read_text(encoding="utf-8") == expected


@pytest.mark.parametrize("command", [["docs"], ["collector"], ["check", "."]])
def test_an_invalid_catalog_is_a_usage_error_that_shows_every_problem(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    """Exit status 2, and the CatalogError (file, event, field) on standard error."""
    bad = tmp_path / "catalog.yaml"
    bad.write_text("events:\n  a.b: {attributes: {x: {type: text}}}\n", encoding="utf-8")
    status, out = run(command[0], str(bad), *command[1:])
    error = capsys.readouterr().err
    assert (status, out) == (2, "")
    assert "invalid event catalog" in error
    assert "event 'a.b', field 'description'" in error
    assert "event 'a.b', attribute 'x', field 'type'" in error


def test_an_output_file_that_cannot_be_written_is_a_usage_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Exit status 2 and the reason; no traceback."""
    status, _ = run("docs", str(SMALL_CATALOG), "--output", str(tmp_path / "no" / "page.md"))
    assert status == 2
    assert "cannot write" in capsys.readouterr().err
