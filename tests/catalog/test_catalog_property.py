"""Property: any YAML document (random text, or random structures in a catalog's shape) either
loads as a catalog or fails with a CatalogError, within a memory bound."""

from __future__ import annotations

import tracemalloc

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from otel_product_events.catalog.model import Catalog, CatalogError, parse_catalog

#: Peak memory allowed while loading one example (they are at most a few kilobytes).
MEMORY_BOUND_BYTES = 32 * 1024 * 1024

PROPERTY = settings(derandomize=True, max_examples=300, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

_YAML_PIECES = st.sampled_from([
    "events", ":", " ", "\n", "  ", "- ", "{", "}", "[", "]", ",", "&a ", "*a", "&b ", "*b",
    "!!str ", "!!python/object:os.system ", "<<: ", "'", '"', "#", "|", ">", "description",
    "attributes", "type", "string", "int", "hash", "count", "from", "true", "null", "1e999",
    "\t", "\x00", "\ufeff", "---\n", "...\n", "%YAML 1.1\n", "?", "é", "\\",
])
yaml_texts = st.lists(_YAML_PIECES, max_size=80).map("".join) | st.text(max_size=200)

_scalars = (st.none() | st.booleans() | st.integers() | st.floats()
            | st.text(max_size=20) | st.sampled_from(["string", "int", "a.b", "return.id"]))
_keys = st.text(max_size=10) | st.sampled_from(
    ["description", "attributes", "type", "from", "count", "hash", "function", "triggers"])
_structures = st.recursive(
    _scalars, lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(_keys, inner, max_size=4), max_leaves=30)
catalog_shaped = st.dictionaries(st.text(max_size=12), _structures, max_size=4).map(
    lambda events: yaml.safe_dump({"events": events}, allow_unicode=True))




def _alias_chain(width: int, depth: int) -> str:
    """Each anchor repeats the previous one ``width`` times: width**depth values expanded."""
    lines = ['a0: &a0 ["lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, depth)]
    return "\n".join(lines) + f"\nevents: {{x: {{description: *a{depth - 1}}}}}\n"


#: Shapes that break naive loaders: nesting past any limit, aliases that multiply.
hostile_shapes = (
    st.tuples(st.sampled_from(["[", "{a: ", "- "]), st.integers(1, 3000)).map(
        lambda shape: "events: " + shape[0] * shape[1])
    | st.tuples(st.integers(2, 6), st.integers(2, 8)).map(lambda wd: _alias_chain(*wd)))


def loads_or_fails_cleanly(text: str) -> None:
    tracemalloc.start()
    try:
        try:
            result: Catalog | CatalogError = parse_catalog(text, path="random.yaml")
        except CatalogError as error:
            result = error
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < MEMORY_BOUND_BYTES
    if isinstance(result, CatalogError):
        assert result.problems
        assert all(isinstance(problem, str) and problem for problem in result.problems)
    else:
        assert isinstance(result, Catalog)


@PROPERTY
@given(yaml_texts)
def test_random_yaml_text_loads_or_is_a_catalog_error(text: str) -> None:
    loads_or_fails_cleanly(text)


@PROPERTY
@given(catalog_shaped)
def test_random_catalog_shaped_documents_load_or_are_a_catalog_error(text: str) -> None:
    loads_or_fails_cleanly(text)


@settings(PROPERTY, max_examples=40)
@given(hostile_shapes)
def test_deep_and_aliased_documents_are_a_catalog_error_in_bounded_memory(text: str) -> None:
    loads_or_fails_cleanly(text)
