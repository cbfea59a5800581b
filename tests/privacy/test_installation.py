"""app.installation.id: random, persisted across processes, overridable, never written when off."""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.helpers import last_json_line, run_python

EMIT_AND_PRINT_ID = """
import json
import otel_product_events as pe
from otel_product_events.testing import capture_events
with capture_events() as captured:
    pe.emit("app.started")
print(json.dumps([e.attributes.get("app.installation.id") for e in captured]))
"""


def test_the_id_is_random_persisted_and_reused_by_the_next_process(tmp_path: Path) -> None:
    """Two processes with the same state directory report the same id; it is a UUID."""
    env = {"OTEL_PRODUCT_EVENTS_STATE_DIR": str(tmp_path)}
    first = last_json_line(run_python(EMIT_AND_PRINT_ID, env))
    second = last_json_line(run_python(EMIT_AND_PRINT_ID, env))
    assert first == second
    uuid.UUID(first[0])
    assert (tmp_path / "installation-id").read_text().strip() == first[0]


def test_another_state_directory_is_another_installation(tmp_path: Path) -> None:
    ids = [last_json_line(run_python(EMIT_AND_PRINT_ID,
                                     {"OTEL_PRODUCT_EVENTS_STATE_DIR": str(tmp_path / d)}))[0]
           for d in ("a", "b")]
    assert ids[0] != ids[1]


def test_the_environment_overrides_the_id_and_nothing_is_written(tmp_path: Path) -> None:
    env = {"OTEL_PRODUCT_EVENTS_STATE_DIR": str(tmp_path / "state"),
           "OTEL_PRODUCT_EVENTS_INSTALLATION_ID": "fleet-42"}
    assert last_json_line(run_python(EMIT_AND_PRINT_ID, env)) == ["fleet-42"]
    assert not (tmp_path / "state").exists()


def test_an_unwritable_state_directory_falls_back_to_a_process_id(tmp_path: Path) -> None:
    """If the id cannot be stored, events still go out with a random id, and a warning says why."""
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    process = run_python(EMIT_AND_PRINT_ID, {"OTEL_PRODUCT_EVENTS_STATE_DIR": str(blocker / "x")})
    (installation_id,) = last_json_line(process)
    uuid.UUID(installation_id)
    assert "cannot persist the installation id" in process.stderr


def test_concurrent_first_starts_agree_on_one_id(tmp_path: Path) -> None:
    """Processes racing to create the id all end up with the same one."""
    import subprocess
    import sys

    code = ("from otel_product_events.privacy.installation import installation_id;"
            "print(installation_id())")
    env_vars = {"OTEL_PRODUCT_EVENTS_STATE_DIR": str(tmp_path)}
    import os

    env = {**os.environ, **env_vars}
    processes = [subprocess.Popen([sys.executable, "-c", code], env=env, text=True,
                                  stdout=subprocess.PIPE) for _ in range(6)]
    ids = {p.communicate(timeout=60)[0].strip() for p in processes}
    assert len(ids) == 1
