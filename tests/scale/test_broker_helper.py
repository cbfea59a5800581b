"""`python -m otel_product_events.testing.kafka`: prints the broker's address, stops cleanly."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

from tests.scale.tier import REPO


def accepts(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    try:
        with socket.create_connection((host, int(port)), timeout=1):
            return True
    except OSError:
        return False


def test_the_broker_command_prints_a_live_address_and_stops_on_sigterm(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "otel_product_events.testing.kafka", "--dir", str(tmp_path)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        address = process.stdout.readline().strip()
        assert address.startswith("127.0.0.1:")
        assert accepts(address)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        assert not accepts(address)
        assert (tmp_path / "kraft-logs" / "meta.properties").is_file()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
