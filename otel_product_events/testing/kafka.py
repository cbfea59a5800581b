"""A single-node Apache Kafka broker for development and tests, from Maven Central only.

- :func:`fetch_kafka` resolves the pinned ``org.apache.kafka:kafka_2.13`` (and ``kafka-tools``
  for the admin commands) with their runtime dependencies through ``mvn`` into a cache dir,
  once: ``${OTEL_PRODUCT_EVENTS_CACHE_DIR:-~/.cache/otel-product-events}/kafka-<version>``.
- :func:`run_broker` formats a KRaft log dir (broker and controller in one JVM) and starts the
  broker on loopback on free ports; it is stopped (SIGTERM, then SIGKILL) on exit.
- ``python -m otel_product_events.testing.kafka`` runs one until Ctrl-C and prints its address.

Needs ``java`` (17+) and ``mvn`` on PATH; no Docker, no other downloads.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from otel_product_events.testing.ports import LOOPBACK, free_ports, port_open
from otel_product_events.testing.processes import log_tail, terminate

KAFKA_VERSION = "4.4.0"
SCALA_VERSION = "2.13"

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>otel-product-events</groupId>
  <artifactId>kafka-broker</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_{scala}</artifactId>
      <version>{version}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka-tools</artifactId>
      <version>{version}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>2.25.5</version>
    </dependency>
  </dependencies>
</project>
"""

# The broker logs WARN and above to stderr (the JVM's stdout/stderr go to broker.log).
_LOG4J2 = """Configuration:
  status: warn
  Appenders:
    Console:
      name: STDERR
      target: SYSTEM_ERR
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: warn
      AppenderRef:
        - ref: STDERR
    Logger:
      - name: kafka.server.KafkaRaftServer
        level: info
"""


class KafkaError(RuntimeError):
    """The broker could not be fetched, started or used."""


def cache_dir(version: str = KAFKA_VERSION) -> Path:
    """Where :func:`fetch_kafka` puts the jars of ``version``."""
    root = os.environ.get("OTEL_PRODUCT_EVENTS_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "otel-product-events")
    return Path(root) / f"kafka-{version}"


def fetch_kafka(version: str = KAFKA_VERSION, *, timeout: float = 900) -> Path:
    """The directory of the broker's jars, resolved from Maven Central on first use (locked, so
    parallel test processes fetch once). Returns ``<cache>/libs``."""
    home = cache_dir(version)
    libs = home / "libs"
    done = home / ".complete"
    if done.is_file():
        return libs
    if shutil.which("mvn") is None:
        raise KafkaError("'mvn' not found on PATH: Maven fetches the Kafka jars")
    home.mkdir(parents=True, exist_ok=True)
    with (home / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if done.is_file():
            return libs
        (home / "pom.xml").write_text(_POM.format(scala=SCALA_VERSION, version=version),
                                      encoding="utf-8")
        shutil.rmtree(libs, ignore_errors=True)
        command = ["mvn", "-q", "-B", "-f", str(home / "pom.xml"),
                   "dependency:copy-dependencies", f"-DoutputDirectory={libs}",
                   "-DincludeScope=runtime"]
        try:
            proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                  check=False)
        except subprocess.TimeoutExpired as exc:
            raise KafkaError(f"mvn did not finish within {timeout:.0f}s") from exc
        if proc.returncode != 0 or not any(libs.glob(f"kafka_{SCALA_VERSION}-*.jar")):
            raise KafkaError(f"mvn failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}"
                             f"\n{proc.stderr[-3000:]}")
        (home / "log4j2.yaml").write_text(_LOG4J2, encoding="utf-8")
        done.write_text(version, encoding="utf-8")
    return libs


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise KafkaError("'java' (17 or newer) not found on PATH")
    return java


def _properties(port: int, controller_port: int, log_dir: Path, partitions: int) -> str:
    return "\n".join([
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.bootstrap.servers={LOOPBACK}:{controller_port}",
        f"listeners=PLAINTEXT://{LOOPBACK}:{port},CONTROLLER://{LOOPBACK}:{controller_port}",
        f"advertised.listeners=PLAINTEXT://{LOOPBACK}:{port},"
        f"CONTROLLER://{LOOPBACK}:{controller_port}",
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        f"log.dirs={log_dir}",
        # Topics the exporters create on first use get this many partitions.
        f"num.partitions={partitions}",
        "auto.create.topics.enable=true",
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=6",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        # A lone test group starts consuming at once instead of waiting 3 s for more members.
        "group.initial.rebalance.delay.ms=0",
        # Room for a whole sender batch in one message (edge.yaml producer.max_message_bytes).
        "message.max.bytes=8388608",
        "",
    ])


@dataclass
class KafkaBroker:
    """A running single-node broker; ``bootstrap`` is its ``host:port``."""

    process: subprocess.Popen[bytes]
    libs: Path
    work_dir: Path
    port: int
    controller_port: int

    @property
    def bootstrap(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.work_dir / "broker.log"

    def log_tail(self, lines: int = 40) -> str:
        return log_tail(self.log_path, lines)

    def stop(self, timeout: float = 30.0) -> int:
        """SIGTERM (controlled shutdown), then SIGKILL after ``timeout``."""
        return terminate(self.process, timeout)

    def tool(self, main_class: str, *args: str, timeout: float = 120) -> str:
        """Run a Kafka command-line tool (e.g. ``org.apache.kafka.tools.TopicCommand``)
        against this broker; returns its stdout."""
        return run_tool(self.libs, main_class, "--bootstrap-server", self.bootstrap, *args,
                        timeout=timeout)

    def create_topic(self, name: str, partitions: int) -> None:
        """Create ``name`` with ``partitions`` partitions (replication factor 1)."""
        self.tool("org.apache.kafka.tools.TopicCommand", "--create", "--if-not-exists",
                  "--topic", name, "--partitions", str(partitions), "--replication-factor", "1")

    def describe_group(self, group: str) -> str:
        """``kafka-consumer-groups --describe`` output: partitions, offsets, lag, members."""
        return self.tool("org.apache.kafka.tools.consumer.group.ConsumerGroupCommand",
                         "--describe", "--group", group)


def _java_command(libs: Path, main_class: str, *args: str, heap_mb: int = 256) -> list[str]:
    log4j = libs.parent / "log4j2.yaml"
    return [_java(), f"-Xmx{heap_mb}m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
            f"-Dlog4j2.configurationFile={log4j}", "-cp", f"{libs}/*", main_class, *args]


def run_tool(libs: Path, main_class: str, *args: str, timeout: float = 120) -> str:
    """Run one of Kafka's Java command-line tools from ``libs``; returns its stdout."""
    try:
        proc = subprocess.run(_java_command(libs, main_class, *args), capture_output=True,
                              text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise KafkaError(f"{main_class} did not finish within {timeout:.0f}s") from exc
    if proc.returncode != 0:
        raise KafkaError(f"{main_class} {' '.join(args)} failed (exit {proc.returncode}):\n"
                         f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return proc.stdout


def start_broker(work_dir: str | os.PathLike[str], *, partitions: int = 1,
                 ports: Sequence[int] | None = None, heap_mb: int = 512,
                 ready_timeout: float = 90.0) -> KafkaBroker:
    """Start a broker whose data lives in ``work_dir`` (formatted on first use; starting again
    with the same dir and ``ports`` restarts the same broker, with its topics and offsets).
    ``partitions`` is the partition count of auto-created topics."""
    libs = fetch_kafka()
    work = Path(work_dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    port, controller_port = ports or free_ports(2)
    log_dir = work / "kraft-logs"
    config = work / "server.properties"
    config.write_text(_properties(port, controller_port, log_dir, partitions), encoding="utf-8")
    if not (log_dir / "meta.properties").is_file():
        run_tool(libs, "kafka.tools.StorageTool", "format", "--standalone",
                 "-t", str(uuid.uuid4()), "-c", str(config))
    with (work / "broker.log").open("ab") as log:
        process = subprocess.Popen(
            _java_command(libs, "kafka.Kafka", str(config), heap_mb=heap_mb),
            cwd=work, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    broker = KafkaBroker(process, libs, work, port, controller_port)
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise KafkaError(f"broker exited with {process.returncode}:\n{broker.log_tail()}")
        if port_open(port):
            return broker
        time.sleep(0.1)
    broker.stop(timeout=5)
    raise KafkaError(f"broker not listening within {ready_timeout:.0f}s:\n{broker.log_tail()}")


@contextlib.contextmanager
def run_broker(work_dir: str | os.PathLike[str] | None = None, *, partitions: int = 1,
               ports: Sequence[int] | None = None, heap_mb: int = 512) -> Iterator[KafkaBroker]:
    """:func:`start_broker` in a context: stopped on exit. Without ``work_dir`` the data goes
    to a temporary directory that is removed afterwards."""
    with contextlib.ExitStack() as stack:
        if work_dir is None:
            work_dir = stack.enter_context(tempfile.TemporaryDirectory(prefix="kafka-"))
        broker = start_broker(work_dir, partitions=partitions, ports=ports, heap_mb=heap_mb)
        try:
            yield broker
        finally:
            broker.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m otel_product_events.testing.kafka",
        description="Run a single-node Kafka broker on loopback until Ctrl-C.")
    parser.add_argument("--dir", type=Path, help="data dir (default: a temporary one)")
    parser.add_argument("--port", type=int, default=0, help="listener port (default: free)")
    parser.add_argument("--partitions", type=int, default=6,
                        help="partitions of auto-created topics (default 6)")
    parser.add_argument("--fetch-only", action="store_true",
                        help="fetch the jars into the cache, print their dir and exit")
    args = parser.parse_args(argv)
    if args.fetch_only:
        print(fetch_kafka())
        return 0
    ports = [args.port, free_ports(1)[0]] if args.port else None
    stopping = False

    def _stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    with run_broker(args.dir, partitions=args.partitions, ports=ports) as broker:
        print(broker.bootstrap, flush=True)
        while not stopping and broker.process.poll() is None:
            time.sleep(0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
