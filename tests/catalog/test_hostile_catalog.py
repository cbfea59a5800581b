"""Hostile catalogs: every one is a CatalogError quickly, in bounded memory, and a broken
catalog in force fails closed once (one warning, one read) instead of once per event."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from otel_product_events.catalog.model import (
    MAX_CATALOG_BYTES,
    CatalogError,
    load_catalog,
    parse_catalog,
)
from tests.bounded import run_bounded
from tests.helpers import last_json_line

# 9 levels of 9 aliases: 387 million strings once expanded, from a 500-byte file.
LAUGHS = ('a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
          + "".join(f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9)
                    + "]\n" for i in range(8))
          + "events: {boom: {description: *i}}\n")

ATTRIBUTE = "events:\n  x:\n    description: d\n    attributes:\n      a: {%s}\n"


def problems_of(text: str) -> tuple[str, ...]:
    with pytest.raises(CatalogError) as raised:
        parse_catalog(text, path="hostile.yaml")
    return raised.value.problems


def test_an_alias_bomb_is_refused_in_bounded_memory() -> None:
    process = run_bounded(f"""
        from otel_product_events.catalog.model import CatalogError, parse_catalog
        try:
            parse_catalog({LAUGHS!r})
        except CatalogError as error:
            print(error.problems[0])
        """)
    assert process.returncode == 0, process.stderr[-2000:]
    assert "expands to more than" in process.stdout


def test_the_catalog_docs_command_refuses_an_alias_bomb_in_bounded_memory(
        tmp_path: Path) -> None:
    bomb = tmp_path / "catalog.yaml"
    bomb.write_text(LAUGHS)
    process = run_bounded("from otel_product_events.cli import main; raise SystemExit(main())",
                          args=("catalog", "docs", str(bomb)))
    assert process.returncode == 2, process.stderr[-2000:]
    assert "expands to more than" in process.stderr
    assert "Traceback" not in process.stderr


def test_aliases_within_the_limit_still_load() -> None:
    catalog = parse_catalog("events:\n  a: {description: A., attributes: &shared "
                            "{team.id: {type: string, description: Team.}}}\n"
                            "  b: {description: B., attributes: *shared}\n")
    assert list(catalog.events["b"].attributes) == ["team.id"]


def test_an_alias_inside_its_own_value_is_refused() -> None:
    (problem,) = problems_of("events: &e {x: {description: d, attributes: *e}}\n")
    assert "refers to the value that contains it" in problem


def test_deep_nesting_is_a_catalog_error_not_a_recursion_error() -> None:
    (problem,) = problems_of("events: " + "[" * 100_000)
    assert "nested deeper than" in problem


def test_deep_nesting_through_aliases_is_refused() -> None:
    chain = "a0: &a0 [x]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 40))
    (problem,) = problems_of(chain + "events: {x: {description: *a39}}\n")
    assert "nested deeper than" in problem


def test_a_catalog_file_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    big = tmp_path / "catalog.yaml"
    big.write_bytes(b"#" * (MAX_CATALOG_BYTES + 1))
    with pytest.raises(CatalogError, match="larger than"):
        load_catalog(big)


def test_a_fifo_in_place_of_the_catalog_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "catalog.yaml"
    os.mkfifo(fifo)
    process = run_bounded(f"""
        from otel_product_events.catalog.model import CatalogError, load_catalog
        try:
            load_catalog({str(fifo)!r})
        except CatalogError as error:
            print(error.problems[0])
        """, timeout=60)
    assert "not a regular file" in process.stdout, process.stderr[-2000:]


def test_a_catalog_that_is_not_utf8_is_a_catalog_error(tmp_path: Path) -> None:
    latin = tmp_path / "catalog.yaml"
    latin.write_bytes(b"events: {caf\xe9: {description: d}}\n")
    with pytest.raises(CatalogError, match="cannot be read"):
        load_catalog(latin)


def test_messages_quote_long_values_shortened() -> None:
    problems = problems_of(ATTRIBUTE % ("type: " + "x" * 100_000 + ", description: d"))
    assert all(len(problem) < 400 for problem in problems), problems
    assert "xxx..." in problems[0]


def test_hash_with_a_non_string_type_is_a_validation_error() -> None:
    (problem,) = problems_of(ATTRIBUTE % "type: int, description: d, from: a, hash: true")
    assert "field 'hash'" in problem
    assert "declare 'type: string'" in problem


def test_hash_with_count_is_a_validation_error() -> None:
    problems = problems_of(ATTRIBUTE % "type: int, description: d, from: a, hash: true, "
                                       "count: true")
    assert any("contradict" in problem for problem in problems), problems


# The broken catalog in force: the audit hook counts every open() of the catalog file.
BROKEN_APP = """
import json, sys
catalog_path = sys.argv[1]
opens = []
sys.addaudithook(lambda event, args: opens.append(1)
                 if event == "open" and str(args[0]) == catalog_path else None)
import otel_product_events as pe
from otel_product_events.catalog import policy
policy.RECHECK_INTERVAL_S = float(sys.argv[2])
from otel_product_events.testing import capture_events
with capture_events() as captured:
    for _ in range(200):
        pe.emit("incident.created", {"team.id": "t"})
    if len(sys.argv) > 3:
        open(catalog_path, "w").write(sys.argv[3])
        pe.emit("incident.created", {"team.id": "t"})
stats = pe.stats()
print(json.dumps({"sent": len(captured), "opens": len(opens),
                  "dropped": stats.get("events_dropped_catalog_unusable", 0),
                  "internal_errors": stats.get("internal_errors", 0)}))
"""

GOOD = "events: {incident.created: {description: d, attributes: {team.id: " \
       "{type: string, description: t}}}}\n"


def test_a_broken_catalog_in_force_is_read_once_and_warned_once(tmp_path: Path) -> None:
    broken = tmp_path / "catalog.yaml"
    broken.write_text("events: " + "[" * 100_000)
    process = run_bounded(BROKEN_APP, {"OTEL_PRODUCT_EVENTS_CATALOG": str(broken),
                                       "OTEL_PRODUCT_EVENTS_STATE_DIR": str(tmp_path)},
                          args=(str(broken), "3600"))
    report = last_json_line(process)
    assert report == {"sent": 0, "opens": 1, "dropped": 200, "internal_errors": 0}
    warnings = [line for line in process.stderr.splitlines() if "cannot be used" in line]
    assert len(warnings) == 1, process.stderr[-2000:]
    assert str(broken) in warnings[0]


def test_a_broken_catalog_is_loaded_again_once_the_file_changes(tmp_path: Path) -> None:
    broken = tmp_path / "catalog.yaml"
    broken.write_text("events: [not, a, mapping]\n")
    process = run_bounded(BROKEN_APP, {"OTEL_PRODUCT_EVENTS_CATALOG": str(broken),
                                       "OTEL_PRODUCT_EVENTS_STATE_DIR": str(tmp_path)},
                          args=(str(broken), "0", GOOD))
    report = last_json_line(process)
    # Opens: the first load, the test writing the file, the reload after the change.
    assert report == {"sent": 1, "opens": 3, "dropped": 200, "internal_errors": 0}
