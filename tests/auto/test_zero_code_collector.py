"""The unmodified example app under both launchers, against the real collector: the same
events as the decorated app (method and classmethod targets included), and nothing else.

The decorated service runs in this process (``capture_events``), driven by the plain app's
session: the decorated session also wraps calls in ``product_context``, which is code an
unmodified app cannot have. The plain app runs in a subprocess under ``opentelemetry-instrument``
(gRPC) or ``otel-product-events run`` (HTTP), with the targets of ``targets.env`` or of
``catalog.yaml``, and the collector stores its events.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from examples.incident_response.service import IncidentService
from examples.incident_response_plain.session import run_session
from otel_product_events.catalog.model import load_catalog
from otel_product_events.testing import capture_events
from otel_product_events.testing.collector import (
    RunningCollector,
    build_collector,
    read_product_events,
    run_collector,
)
from tests.helpers import REPO

pytestmark = pytest.mark.collector

BIN = Path(sys.executable).parent
PLAIN = REPO / "examples" / "incident_response_plain"
CATALOG = load_catalog(PLAIN / "catalog.yaml")
#: Content the app handles and must never send: names, titles, checklist texts.
PRIVATE_CONTENT = ("Outage #", "at customer site", "Renamed, with secrets", "Step 0: details",
                   "Database outage", "Page on-call", "Scratch")
#: What every event carries besides its declared attributes.
METADATA = {"log.record.uid", "app.installation.id", "code.function.name", "product.outcome",
            "error.type"}
#: Compared as they are: the outcome, and the exception class of a failed call.
OUTCOME = ("product.outcome", "error.type")
#: Identifiers made by models.new_id: compared by order of first appearance.
GENERATED_ID = re.compile(r"(inc|post|chan|pb)-[0-9a-f]{8}")


def targets_env() -> dict[str, str]:
    """The variables of examples/incident_response_plain/targets.env, as a shell reads them."""
    variables: dict[str, str] = {}
    for word in shlex.split((PLAIN / "targets.env").read_text(), comments=True):
        name, _, value = word.partition("=")
        variables[name] = value
    return variables


CONFIGS = {
    "targets-env": targets_env(),
    "catalog": {"OTEL_PRODUCT_EVENTS_CATALOG": str(PLAIN / "catalog.yaml")},
}


def declared(config: str, event_name: str) -> set[str]:
    """The attributes an event may carry besides its metadata, in this configuration."""
    if config == "targets-env":
        return set()
    spec = CATALOG.event(event_name)
    assert spec is not None, event_name
    return set(spec.attributes)


def comparable(events: list[tuple[str, Mapping[str, Any]]], config: str
               ) -> list[tuple[str, dict[str, Any]]]:
    """Each event's name, outcome and declared attributes, generated ids replaced by their
    order of appearance and the creation time (a clock reading) by its type."""
    aliases: dict[str, str] = {}

    def alias(value: Any) -> Any:
        if isinstance(value, (list, tuple)):  # OTLP arrays; the SDK keeps tuples
            return [alias(item) for item in value]
        if isinstance(value, str) and GENERATED_ID.fullmatch(value):
            return aliases.setdefault(value, f"{value[:value.index('-')]}#{len(aliases)}")
        return value

    result = []
    for name, attributes in events:
        keep = declared(config, name) | set(OUTCOME)
        values = {k: alias(v) for k, v in attributes.items() if k in keep}
        if "incident.created_at" in values:
            values["incident.created_at"] = type(values["incident.created_at"]).__name__
        result.append((name, values))
    return result


@pytest.fixture(scope="module")
def decorated_events() -> list[tuple[str, Mapping[str, Any]]]:
    """The decorated service's events (its @track declarations), captured in this process."""
    with capture_events() as captured:
        run_session(IncidentService())
    return [(event.name, event.attributes) for event in captured]


@pytest.fixture(scope="module")
def collector_binary() -> Path:
    return build_collector(REPO / "collector-config")


@pytest.fixture
def collector(collector_binary: Path, tmp_path: Path) -> Iterator[RunningCollector]:
    with run_collector(collector_binary, [REPO / "collector-config" / "product-events.yaml"],
                       data_dir=tmp_path / "data") as running:
        yield running


def run_plain_app(launcher: str, collector: RunningCollector, variables: Mapping[str, str],
                  tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Runs `python -m examples.incident_response_plain.session` under ``launcher``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    env.update(variables)
    # The test process's state directory: the same hash key, so hashed ids compare equal.
    env.update({"OTEL_PRODUCT_EVENTS_STATE_DIR": os.environ["OTEL_PRODUCT_EVENTS_STATE_DIR"],
                "OTEL_SERVICE_NAME": "incident-response", "OTEL_METRICS_EXPORTER": "none"})
    app = [sys.executable, "-m", "examples.incident_response_plain.session"]
    if launcher == "opentelemetry-instrument":
        env.update({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_LOGS_EXPORTER": "otlp",
                    "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
                    "OTEL_EXPORTER_OTLP_ENDPOINT": collector.grpc_endpoint})
        command = [str(BIN / "opentelemetry-instrument"), *app]
    else:
        env.update({"OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
                    "OTEL_EXPORTER_OTLP_ENDPOINT": collector.http_endpoint})
        command = [str(BIN / "otel-product-events"), "run", "--", *app]
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True,
                          timeout=120, check=False)


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("launcher", ["opentelemetry-instrument", "otel-product-events run"])
def test_the_plain_app_sends_the_decorated_apps_events_and_nothing_more(
        launcher: str, config: str, collector: RunningCollector, tmp_path: Path,
        decorated_events: list[tuple[str, Mapping[str, Any]]]) -> None:
    """Same names, counts, order, outcomes and declared attributes as @track produces; no
    attribute beyond the declared ones and the metadata; no private content stored."""
    process = run_plain_app(launcher, collector, CONFIGS[config], tmp_path)
    assert process.returncode == 0, process.stderr
    assert process.stdout == "session done (4 refused operations)\n"
    assert "otel_product_events" not in process.stderr  # no skipped target, no error
    collector.stop()
    stored = sorted(read_product_events(collector.data_dir), key=lambda r: r["time_unix_nano"])

    plain = [(r["event_name"], r["attributes"]) for r in stored]
    assert comparable(plain, config) == comparable(decorated_events, config)
    for name, attributes in plain:
        assert set(attributes) <= declared(config, name) | METADATA, name
    functions = {r["attributes"]["code.function.name"] for r in stored}
    assert "examples.incident_response_plain.service.IncidentService.create_incident" in functions
    assert "examples.incident_response.models.Playbook.create" in functions  # a classmethod
    assert {r["resource"]["service.name"] for r in stored} == {"incident-response"}
    stored_text = "".join(p.read_text() for p in collector.data_dir.glob("*.jsonl*"))
    for private in PRIVATE_CONTENT:
        assert private not in stored_text
