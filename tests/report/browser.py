"""Headless Chromium for the dashboard tests: installed by install-chromium.sh if missing, run
with ``--dump-dom`` (the DOM after scripts ran) and ``--screenshot``; console messages come
from ``--enable-logging=stderr`` (``INFO:CONSOLE`` lines)."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

INSTALL = Path(__file__).with_name("install-chromium.sh")
CONSOLE = re.compile(r":CONSOLE[:(]\d+\)?\] (.*)$", re.MULTILINE)

# Appended to a copy of the page: measures every chart as laid out by the browser.
MEASURE = """<script>
(function () {
  var charts = Array.prototype.map.call(document.querySelectorAll("svg.chart"), function (s) {
    var box = s.getBoundingClientRect();
    var marks = Array.prototype.filter.call(
      s.querySelectorAll("rect, circle, polyline, text"), function (m) {
        var b = m.getBBox(); return b.width > 0 && b.height > 0; }).length;
    return {chart: s.getAttribute("data-chart"), width: box.width, height: box.height,
            marks: marks};
  });
  var out = document.createElement("pre");
  out.id = "measured";
  out.textContent = JSON.stringify(charts);
  document.body.appendChild(out);
})();
</script>"""


def find() -> str | None:
    """The browser's path, installing Debian's chromium first if it is missing."""
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)
    result = subprocess.run(["sh", str(INSTALL)], capture_output=True, text=True, timeout=900,
                            check=False)
    if result.returncode != 0:
        return None
    return shutil.which("chromium")


@dataclass
class Rendered:
    dom: str
    console: list[str]


def _run(browser: str, *args: str) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run(
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--no-first-run",
             f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", *args],
            capture_output=True, text=True, timeout=120, check=True)


def render(browser: str, page: Path, measure: bool = False) -> Rendered:
    """The DOM of ``page`` after loading (with the charts' measurements if ``measure``), and
    every console message the page produced."""
    if measure:
        copy = page.with_name(page.stem + ".measured.html")
        copy.write_text(page.read_text(encoding="utf-8").replace(
            "</body>", MEASURE + "</body>"), encoding="utf-8")
        page = copy
    result = _run(browser, "--window-size=1280,2000", "--dump-dom", page.resolve().as_uri())
    return Rendered(result.stdout, CONSOLE.findall(result.stderr))


def screenshot(browser: str, page: Path, png: Path, height: int = 3600) -> None:
    _run(browser, "--hide-scrollbars", f"--window-size=1000,{height}",
         f"--screenshot={png.resolve()}", page.resolve().as_uri())
