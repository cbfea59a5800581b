"""The Kafka tier, run for real: apps -> edge collectors -> Kafka -> storage collectors -> files.

:func:`run_tier` starts a single-node broker (topic with ``partitions`` partitions), ``storages``
storage collectors (product-events.yaml + storage.yaml, one consumer group, one shared data
dir, each its own files) and ``edges`` edge collectors (product-events.yaml + edge.yaml), all on
free loopback ports, and stops everything on exit. Used by the scale tests, `make scale-demo`
and the tier benchmark.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from otel_product_events.report.files import data_files, read_requests
from otel_product_events.report.otlp_json import attributes
from otel_product_events.testing.collector import (
    RunningCollector,
    build_collector,
    free_ports,
    run_collector,
)
from otel_product_events.testing.kafka import KafkaBroker, run_broker

REPO = Path(__file__).resolve().parents[2]
CONFIG_DIR = REPO / "collector-config"
BASE = CONFIG_DIR / "product-events.yaml"
TOPIC = "product_events"
GROUP = "product-events-storage"


@dataclass
class Tier:
    binary: Path
    work: Path
    broker: KafkaBroker
    data_dir: Path
    broker_partitions: int
    edges: list[RunningCollector] = field(default_factory=list)
    storages: dict[str, RunningCollector] = field(default_factory=dict)
    _stacks: dict[str, contextlib.ExitStack] = field(default_factory=dict)
    _ports: dict[str, list[int]] = field(default_factory=dict)
    _edge_names: dict[str, RunningCollector] = field(default_factory=dict)
    _edge_env: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def kafka_env(self) -> dict[str, str]:
        return {"KAFKA_BROKERS": self.broker.bootstrap, "KAFKA_PRODUCT_EVENTS_TOPIC": TOPIC,
                "KAFKA_CONSUMER_GROUP": GROUP}

    def _run(self, name: str, configs: list[Path], data_dir: Path,
             env: Mapping[str, str]) -> RunningCollector:
        stack = contextlib.ExitStack()
        ports = self._ports.setdefault(name, free_ports(4))
        env = {**self.kafka_env,
               "PRODUCT_EVENTS_QUEUE_DIR": str(self.work / "queues" / name), **env}
        running = stack.enter_context(run_collector(
            self.binary, configs, data_dir=data_dir, env_extra=env, ports=ports))
        # Each collector logs to its own file (several share the storage data dir).
        self._stacks[name] = stack
        return running

    def start_storage(self, name: str) -> RunningCollector:
        running = self._run(name, [BASE, CONFIG_DIR / "storage.yaml"],
                            self.work / "storage-cwd" / name,
                            {"PRODUCT_EVENTS_DATA_DIR": str(self.data_dir),
                             "PRODUCT_EVENTS_STORAGE_NAME": name})
        self.storages[name] = running
        return running

    def start_edge(self, name: str, env: Mapping[str, str] | None = None) -> RunningCollector:
        """Start edge ``name`` (again: same ports, same queue dir, same env as before)."""
        env = self._edge_env.setdefault(name, dict(env or {}))
        running = self._run(name, [BASE, CONFIG_DIR / "edge.yaml"], self.work / name, env)
        self.edges.append(running)
        self._edge_names[name] = running
        return running

    def kill(self, name: str) -> int:
        """SIGKILL collector ``name`` (restart it with start_storage/start_edge)."""
        if name in self._edge_names:
            running = self._edge_names.pop(name)
            self.edges.remove(running)
        else:
            running = self.storages.pop(name)
        running.process.kill()
        code = running.process.wait()
        self._stacks.pop(name).close()
        return code

    def stop_broker(self) -> None:
        self.broker.stop()

    def restart_broker(self) -> None:
        from otel_product_events.testing.kafka import start_broker

        self.broker = start_broker(self.broker.work_dir, ports=[self.broker.port,
                                                                self.broker.controller_port])

    def close(self) -> None:
        for name in list(self._stacks)[::-1]:
            self._stacks.pop(name).close()

    def stored(self) -> list[dict[str, Any]]:
        """Every stored record (duplicates included) as {uid, seq, installation, file}, in
        file order."""
        rows: list[dict[str, Any]] = []
        for path in data_files(self.data_dir):
            for request in read_requests(path):
                for resource_logs in request.get("resourceLogs", []):
                    resource = attributes(resource_logs.get("resource", {}).get("attributes"))
                    for scope_logs in resource_logs.get("scopeLogs", []):
                        for record in scope_logs.get("logRecords", []):
                            attrs = {**resource, **attributes(record.get("attributes"))}
                            rows.append({"uid": attrs.get("log.record.uid"),
                                         "seq": attrs.get("seq"),
                                         "installation": attrs.get("app.installation.id"),
                                         "file": path.name})
        return rows

    def wait_stored(self, unique: int, timeout: float) -> int:
        """Wait until ``unique`` distinct uids are stored (or ``timeout``); returns the count."""
        deadline = time.monotonic() + timeout
        while True:
            count = len({row["uid"] for row in self.stored()})
            if count >= unique or time.monotonic() > deadline:
                return count
            time.sleep(0.5)


@contextlib.contextmanager
def run_tier(work: Path, *, edges: int = 2, storages: int = 2, partitions: int = 6,
             edge_env: Mapping[str, str] | None = None) -> Iterator[Tier]:
    binary = build_collector(CONFIG_DIR)
    work.mkdir(parents=True, exist_ok=True)
    with run_broker(work / "kafka", partitions=partitions) as broker:
        broker.create_topic(TOPIC, partitions)
        tier = Tier(binary, work, broker, work / "stored", partitions)
        try:
            for i in range(storages):
                tier.start_storage(f"storage-{i + 1}")
            for i in range(edges):
                tier.start_edge(f"edge-{i + 1}", edge_env)
            if storages:
                wait_group_stable(tier, storages)
            yield tier
        finally:
            tier.close()
            tier.broker.stop()


def wait_group_stable(tier: Tier, consumers: int, timeout: float = 60) -> None:
    """Wait until every partition of the topic is owned by one of ``consumers`` members."""
    deadline = time.monotonic() + timeout
    description = ""
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            description = tier.broker.describe_group(GROUP)
            # GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID
            rows = [line.split() for line in description.splitlines()
                    if line.split()[:2] == [GROUP, TOPIC]]
            owners = {row[6] for row in rows if len(row) >= 9}
            if len(rows) == tier.broker_partitions and "-" not in owners \
                    and len(owners) == consumers:
                return
        time.sleep(1)
    raise TimeoutError(f"the storage consumer group did not settle:\n{description}")


def run_apps(endpoints: list[str], count: int, per_second: float, state_root: Path,
             *, funnel: bool = False) -> list[dict[str, Any]]:
    """One app process per endpoint (each its own installation), all at once; their reports."""
    procs = []
    for i, endpoint in enumerate(endpoints):
        env = {**os.environ, "OTEL_PRODUCT_EVENTS_STATE_DIR": str(state_root / f"app-{i}")}
        env.pop("OTEL_PRODUCT_EVENTS_STRICT", None)
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "tests.scale.app", endpoint, str(count), str(per_second),
             *(["funnel"] if funnel else [])],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    reports = []
    for proc in procs:
        out, err = proc.communicate(timeout=count / per_second + 120)
        if proc.returncode != 0:
            raise RuntimeError(f"app failed ({proc.returncode}): {err[-2000:]}")
        reports.append(json.loads(out.strip().splitlines()[-1]))
    return reports
