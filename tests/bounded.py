"""Runs hostile-input code in a child interpreter with a memory cap and a time limit, so a
regression (an expansion bomb, a hang) fails one test instead of taking the machine down."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import textwrap
from collections.abc import Mapping

from tests.helpers import REPO

#: Address space for the child: Python, PyYAML and DuckDB fit easily; a bomb does not.
MEMORY_LIMIT_BYTES = 1536 * 1024 * 1024


def run_bounded(code: str, env: Mapping[str, str] | None = None, *, timeout: float = 120,
                memory: int = MEMORY_LIMIT_BYTES, args: tuple[str, ...] = ()
                ) -> subprocess.CompletedProcess[str]:
    """Runs ``code`` in a fresh interpreter capped at ``memory`` bytes of address space; a
    hang past ``timeout`` (generous: a hang detector, not a timing check) raises
    ``subprocess.TimeoutExpired`` and fails the test."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    environ = {k: v for k, v in os.environ.items()
               if k not in ("DO_NOT_TRACK", "OTEL_PRODUCT_EVENTS_ENABLED", "OTEL_SDK_DISABLED",
                            "OTEL_PRODUCT_EVENTS_STRICT")}
    environ.update(env or {})
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], env=environ,
                          text=True, capture_output=True, timeout=timeout, check=False,
                          cwd=REPO, preexec_fn=limit)
