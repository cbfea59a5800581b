"""Nothing user-controlled reaches the collector overlay unquoted: hostile event names,
attribute keys and the catalog's file name (a newline injecting a receiver) leave the real
collector's receivers and pipelines exactly as the base config has them. And `catalog check`
fails closed on a source file it cannot parse."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from otel_product_events.catalog.collector import FILTER, TRANSFORM, drop_condition
from otel_product_events.catalog.model import load_catalog
from tests.bounded import run_bounded
from tests.catalog.conftest import COLLECTOR_CONFIG, run

BASE = COLLECTOR_CONFIG / "product-events.yaml"
INJECTION = "x\nreceivers:\n  otlp/evil:\n    protocols: {grpc: {endpoint: 0.0.0.0:4317}}\n#"
HOSTILE_NAMES = [
    INJECTION, 'quote"d', "it's", "back\\slash\\", "${env:HOME}", "$${x}", "$", "#not-a-comment",
    'x"]) or true where ("', "line\u2028separator", "next\x85line", "tab\there", "cr\rhere",
    "&anchor *alias", "{a: b}", "- item", "é\u200bzero-width", "null", "~",
]
# (A file name cannot hold "/": this one rebinds the base config's own otlp receiver.)
FILE_INJECTION = "x\nreceivers:\n  otlp:\n    protocols: {grpc: {endpoint: 0.0.0.0:4317}}\n#"
HOSTILE_FILE_NAMES = [FILE_INJECTION + ".yaml", "${env:HOME}.yaml", "line\u2028break\r.yaml"]


def hostile_catalog(directory: Path, file_name: str) -> Path:
    events = {name: {"description": "Hostile.", "attributes": {
        key: {"type": "string", "description": "K."} for key in HOSTILE_NAMES}}
        for name in HOSTILE_NAMES}
    path = directory / file_name
    path.write_text(yaml.safe_dump({"events": events}, allow_unicode=True), encoding="utf-8")
    return path


def collector(binary: Path, *args: str, configs: list[Path]) -> subprocess.CompletedProcess[str]:
    command = [str(binary), *args]
    for config in configs:
        command += ["--config", str(config)]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)


def effective_config(binary: Path, configs: list[Path]) -> dict[str, Any]:
    result = collector(binary, "print-config", "--format=json", configs=configs)
    assert result.returncode == 0, result.stderr
    document: dict[str, Any] = json.loads(result.stdout)
    return document


@pytest.mark.parametrize("file_name", HOSTILE_FILE_NAMES, ids=["newline", "env", "separators"])
def test_a_hostile_overlay_sets_only_the_catalog_processors(tmp_path: Path,
                                                             file_name: str) -> None:
    status, overlay = run("collector", str(hostile_catalog(tmp_path, file_name)))
    assert status == 0
    document = yaml.safe_load(overlay)
    assert set(document) == {"processors", "service"}
    assert set(document["processors"]) == {FILTER, TRANSFORM}
    assert set(document["service"]) == {"pipelines"}
    assert all(set(pipeline) == {"processors"}
               for pipeline in document["service"]["pipelines"].values())


@pytest.mark.collector
@pytest.mark.parametrize("file_name", HOSTILE_FILE_NAMES, ids=["newline", "env", "separators"])
def test_the_collector_validates_a_hostile_overlay_and_keeps_its_receivers(
        collector_binary: Path, tmp_path: Path, file_name: str) -> None:
    catalog_path = hostile_catalog(tmp_path, file_name)
    status, text = run("collector", str(catalog_path))
    assert status == 0
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(text, encoding="utf-8")
    validated = collector(collector_binary, "validate", configs=[BASE, overlay])
    assert validated.returncode == 0, validated.stderr
    base = effective_config(collector_binary, [BASE])
    merged = effective_config(collector_binary, [BASE, overlay])
    assert merged["receivers"] == base["receivers"]
    assert merged["exporters"] == base["exporters"]
    for name, pipeline in merged["service"]["pipelines"].items():
        assert pipeline["receivers"] == base["service"]["pipelines"][name]["receivers"]
        assert pipeline["exporters"] == base["service"]["pipelines"][name]["exporters"]
    # The collector reads exactly the condition we wrote: every name arrived literally.
    (conditions,) = merged["processors"][FILTER]["log_conditions"]  # as the collector holds it
    assert conditions["conditions"] == [drop_condition(load_catalog(catalog_path))]


UNPARSABLE = "import otel_product_events as pe\npe.emit('not.declared')\ndef (:\n"


def test_catalog_check_fails_on_a_file_it_cannot_parse(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(UNPARSABLE)
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text("events: {a.b: {description: A.}}\n")
    status, output = run("check", str(catalog), str(tmp_path / "app.py"))
    assert status == 1
    assert "app.py:3: error: cannot be parsed (SyntaxError)" in output


def test_catalog_check_allow_unparsable_makes_it_a_warning(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(UNPARSABLE)
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text("events: {a.b: {description: A.}}\n")
    status, output = run("check", "--allow-unparsable", str(catalog), str(tmp_path / "app.py"))
    assert status == 0
    assert "app.py:3: warning: cannot be parsed" in output


def test_catalog_check_fails_on_a_deeply_nested_source(tmp_path: Path) -> None:
    (tmp_path / "deep.py").write_text("x = " + "(" * 100_000 + ")" * 100_000 + "\n")
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text("events: {a.b: {description: A.}}\n")
    status, output = run("check", str(catalog), str(tmp_path / "deep.py"))
    assert status == 1
    assert "deep.py" in output


def test_catalog_check_never_blocks_on_a_fifo_named_like_a_source(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "app.py")
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text("events: {a.b: {description: A.}}\n")
    process = run_bounded(
        "from otel_product_events.cli import main; raise SystemExit(main())",
        args=("catalog", "check", str(catalog), str(tmp_path)), timeout=60)
    assert process.returncode == 1, process.stderr[-2000:]
    assert "app.py: error: cannot be parsed (ValueError)" in process.stdout
