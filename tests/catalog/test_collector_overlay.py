"""`catalog collector`: the catalog's allow-list as a collector overlay, checked by the real
collector (validate) and run in it (end to end, with the plain OpenTelemetry SDK as sender)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource

from otel_product_events.catalog.collector import (
    FILTER,
    METADATA_KEYS,
    TRANSFORM,
    collector_overlay,
    yaml_string,
)
from otel_product_events.catalog.model import load_catalog, parse_catalog
from otel_product_events.testing.collector import read_product_events, run_collector
from tests.catalog.conftest import COLLECTOR_CONFIG, EXAMPLE_CATALOG, run

BASE = COLLECTOR_CONFIG / "product-events.yaml"
ODD = 'it\'s an odd "name" ${HOME} \\ x'
CATALOG = f"""
events:
  order.placed:
    description: An order was placed.
    attributes:
      order.id: {{type: string, description: Order.}}
      order.total: {{type: double, description: Total.}}
  sync.completed:
    description: A sync ended.
    attributes:
      source: {{type: string, description: Source.}}
  {yaml.safe_dump(ODD).splitlines()[0]}:
    description: A name and a key that need escaping in YAML, in OTTL and from ${{env}}.
    attributes:
      'key "with" ${{PATH}}': {{type: int, description: K.}}
"""


def pipelines(overlay: str) -> dict[str, Any]:
    document = yaml.safe_load(overlay)
    result: dict[str, Any] = document["service"]["pipelines"]
    return result


def test_the_overlay_keeps_every_processor_the_base_config_puts_in_the_product_pipelines(
) -> None:
    """Lists are replaced when configs merge: the overlay's lists must hold the base's
    processors too, with the catalog's filter first."""
    base = pipelines(BASE.read_text(encoding="utf-8"))
    ours = pipelines(collector_overlay(load_catalog(EXAMPLE_CATALOG)))
    assert ours == {
        "logs/product": {"processors": [FILTER, TRANSFORM]},
        "logs/product_count": {"processors": [FILTER, "transform/event_name_attribute"]},
    }
    for name in ours:
        assert set(base[name]["processors"]) <= set(ours[name]["processors"])


def test_the_product_pipeline_gets_no_batch_processor_unless_asked() -> None:
    """A batch processor acknowledges before the write: the overlay must not undo the base
    config's durability. --batch opts in."""
    catalog = load_catalog(EXAMPLE_CATALOG)
    assert "batch/file" not in pipelines(collector_overlay(catalog))["logs/product"][
        "processors"]
    assert pipelines(collector_overlay(catalog, batch=True))["logs/product"] == {
        "processors": [FILTER, TRANSFORM, "batch/file"]}


def test_each_declared_event_keeps_its_attributes_and_the_metadata_and_others_are_dropped(
) -> None:
    """One keep_keys per event, in name order; one filter condition naming every event."""
    catalog = parse_catalog("events:\n  b.x: {description: B.}\n  a.y: {description: A., "
                            "attributes: {k: {type: int, description: K.}}}\n")
    processors = yaml.safe_load(collector_overlay(catalog))["processors"]
    metadata = ", ".join(f'"{key}"' for key in METADATA_KEYS)
    assert processors[TRANSFORM]["log_statements"] == [
        f'keep_keys(log.attributes, ["k", {metadata}]) where log.event_name == "a.y"',
        f"keep_keys(log.attributes, [{metadata}]) where log.event_name == \"b.x\""]
    assert processors[FILTER]["log_conditions"] == [
        'not ContainsValue(["a.y", "b.x"], log.event_name)']


def test_quotes_backslashes_and_dollars_are_escaped_for_yaml_ottl_and_the_env_expansion(
) -> None:
    """`"` and `\\` are escaped in OTTL strings, `'` in YAML; `$` is doubled so the
    collector does not expand `${HOME}`; a newline needs a double-quoted YAML string."""
    statements = yaml.safe_load(collector_overlay(parse_catalog(CATALOG)))["processors"][
        TRANSFORM]["log_statements"]
    assert yaml_string("a'b\nc") == '"a\'b\\nc"'
    assert statements[0].startswith('keep_keys(log.attributes, ["key \\"with\\" $${PATH}", ')
    assert statements[0].endswith(
        'where log.event_name == "it\'s an odd \\"name\\" $${HOME} \\\\ x"')


def test_the_collector_command_writes_the_overlay(tmp_path: Path) -> None:
    """To standard output, or to --output."""
    expected = collector_overlay(load_catalog(EXAMPLE_CATALOG))
    assert run("collector", str(EXAMPLE_CATALOG)) == (0, expected)
    assert run("collector", str(EXAMPLE_CATALOG), "--no-batch") == (0, expected)
    assert run("collector", str(EXAMPLE_CATALOG), "--batch") == (
        0, collector_overlay(load_catalog(EXAMPLE_CATALOG), batch=True))
    output = tmp_path / "overlay.yaml"
    assert run("collector", str(EXAMPLE_CATALOG), "-o", str(output)) == (0, "")
    assert output.read_text(encoding="utf-8") == collector_overlay(
        load_catalog(EXAMPLE_CATALOG))


@pytest.mark.collector
@pytest.mark.parametrize(("sink", "batch"), [(None, True), ("kafka.yaml", False),
                                             ("clickhouse.yaml", False)])
def test_the_collector_accepts_the_overlay_for_the_example_catalog(
        collector_binary: Path, tmp_path: Path, sink: str | None, batch: bool) -> None:
    """`otelcol validate` parses every OTTL statement and condition, after the base config and
    after each sink overlay."""
    overlay = tmp_path / "catalog-collector.yaml"
    overlay.write_text(collector_overlay(load_catalog(EXAMPLE_CATALOG), batch=batch),
                       encoding="utf-8")
    configs = [BASE, *([COLLECTOR_CONFIG / sink] if sink else []), overlay]
    command = [str(collector_binary), "validate"]
    for config in configs:
        command += ["--config", str(config)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr


def send(endpoint: str, records: list[tuple[str, dict[str, Any]]]) -> None:
    """Sends log records as another OpenTelemetry SDK would: scope `otel_product_events`,
    an event name and a timestamp each."""
    provider = LoggerProvider(resource=Resource.create({"service.name": "other-sdk",
                                                        "service.version": "9.9"}))
    provider.add_log_record_processor(SimpleLogRecordProcessor(
        OTLPLogExporter(endpoint=f"{endpoint}/v1/logs", timeout=10)))
    logger = provider.get_logger("otel_product_events", "0.0.1")
    for name, attributes in records:
        logger.emit(event_name=name, timestamp=time.time_ns(), attributes=attributes)
    provider.shutdown()


@pytest.mark.collector
def test_the_collector_drops_undeclared_events_and_attributes_and_keeps_the_rest(
        collector_binary: Path, tmp_path: Path) -> None:
    """With product-events.yaml and the overlay: an undeclared attribute and an undeclared
    event never reach storage; declared attributes, metadata and the resource do, even for
    names that need escaping."""
    overlay = tmp_path / "catalog-collector.yaml"
    overlay.write_text(collector_overlay(parse_catalog(CATALOG, path="shop.yaml")),
                       encoding="utf-8")
    metadata = {"log.record.uid": "uid-1", "app.installation.id": "install-1",
                "code.function.name": "shop.orders.place_order", "product.outcome": "failure",
                "error.type": "shop.OrderError"}
    with run_collector(collector_binary, [BASE, overlay], data_dir=tmp_path / "data") as running:
        send(running.http_endpoint, [
            ("order.placed", {"order.id": "o-1", "order.total": 9.5,
                              "customer.email": "ann@example.com", **metadata}),
            ("coupon.applied", {"coupon.code": "SECRET-CODE"}),
            ("sync.completed", {"source": "github", "product.run.id": "run-1",
                                "product.duration_ms": 12.5, "token": "SECRET-TOKEN"}),
            (ODD, {'key "with" ${PATH}': 1, "other": "SECRET-ODD"}),
        ])
        running.stop()
    stored = {r["event_name"]: r for r in read_product_events(running.data_dir)}
    text = "".join(p.read_text() for p in running.data_dir.glob("*.jsonl*"))
    assert sorted(stored) == sorted(["order.placed", "sync.completed", ODD])
    assert stored["order.placed"]["attributes"] == {"order.id": "o-1", "order.total": 9.5,
                                                    **metadata}
    assert stored["sync.completed"]["attributes"] == {
        "source": "github", "product.run.id": "run-1", "product.duration_ms": 12.5}
    assert stored[ODD]["attributes"] == {'key "with" ${PATH}': 1}
    assert stored["order.placed"]["resource"]["service.name"] == "other-sdk"
    assert stored["order.placed"]["time_unix_nano"] > 0
    for secret in ("ann@example.com", "SECRET-CODE", "SECRET-TOKEN", "SECRET-ODD",
                   "coupon.applied"):
        assert secret not in text
