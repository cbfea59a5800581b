"""Zero-code under ``coverage run``: both see every call. On Python 3.12+ coverage.py can
measure with ``sys.monitoring`` too (``COVERAGE_CORE=sysmon``, tool id 1); we take another id."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
APP = '''
def covered(n):
    if n > 1:
        return "big"
    return "small"
'''
SCRIPT = '''
import json
from otel_product_events.testing import capture_events
with capture_events() as captured:
    import app
    results = [app.covered(1), app.covered(2)]
print(json.dumps(captured.names()))
'''


@pytest.mark.parametrize("core", ["sysmon", "ctrace"])
def test_coverage_and_product_events_both_see_every_call(tmp_path: Path, core: str) -> None:
    (tmp_path / "app.py").write_text(APP)
    (tmp_path / "script.py").write_text(SCRIPT)
    environ = {k: v for k, v in os.environ.items()
               if k not in ("DO_NOT_TRACK", "OTEL_PRODUCT_EVENTS_ENABLED", "OTEL_SDK_DISABLED",
                            "OTEL_PRODUCT_EVENTS_STRICT")}
    environ.update({"OTEL_TRACES_EXPORTER": "none", "OTEL_LOGS_EXPORTER": "none",
                    "OTEL_METRICS_EXPORTER": "none", "COVERAGE_CORE": core,
                    "OTEL_PRODUCT_EVENTS_TRACK": "app:covered=covered.called"})
    done = subprocess.run(
        [str(BIN / "otel-product-events"), "run", "--", sys.executable, "-m", "coverage", "run",
         "--data-file", str(tmp_path / "cov"), "script.py"],
        cwd=tmp_path, env=environ, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1]) == ["covered.called", "covered.called"]
    report = subprocess.run(
        [sys.executable, "-m", "coverage", "json", "--data-file", str(tmp_path / "cov"),
         "-o", "-", "--include", "app.py"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True)
    summary = json.loads(report.stdout)["files"]["app.py"]["summary"]
    assert summary["percent_covered"] == 100.0
