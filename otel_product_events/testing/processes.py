"""What the harnesses of the servers the tests start (the collector, the Kafka broker) share:
reading the end of a server's log, and stopping it politely before forcefully."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path


def log_tail(path: Path, lines: int = 40) -> str:
    """The last ``lines`` lines of the log at ``path``; empty if it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def terminate(process: subprocess.Popen[bytes], timeout: float) -> int:
    """SIGTERM (the server flushes and shuts down), then SIGKILL after ``timeout`` seconds;
    returns the exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode
