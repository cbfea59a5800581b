"""The Python versions we support, and the virtualenv ``make test`` builds for each."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers import REPO

#: Supported and tested; ``make test`` makes one virtualenv per version (.venv is 3.11's).
VERSIONS = ("3.10", "3.11", "3.12", "3.13")


def python_for(version: str) -> Path:
    """The interpreter of ``version``'s virtualenv; skips the test when it was not built,
    unless ``make test`` asked for every version (then a missing one fails)."""
    venv = REPO / (".venv" if version == "3.11" else f".venv-{version}")
    python = venv / "bin" / "python"
    if not python.exists():
        message = f"no virtualenv for Python {version} ({venv}); run make venvs"
        if os.environ.get("OTEL_PRODUCT_EVENTS_TEST_EVERY_PYTHON"):
            pytest.fail(message)
        pytest.skip(message)
    return python
