"""Whatever sits where a state file should be (a FIFO, a symbolic link, bytes that are not
UTF-8, nothing, a huge file, a key too short), events go out, nothing blocks, the file is
replaced with a warning that says so, and nothing outside the state directory is touched. Opted
out, no API call writes anything."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

import otel_product_events as pe
from otel_product_events.privacy.state import MAX_STATE_BYTES
from tests.bounded import run_bounded
from tests.helpers import last_json_line

EMIT_HASHED = """
import json
import otel_product_events as pe
from otel_product_events.testing import capture_events
with capture_events() as captured:
    pe.emit("app.started", {"user.id": pe.hashed("user-42")})
print(json.dumps([[e.attributes.get("app.installation.id"), e.attributes.get("user.id")]
                  for e in captured]))
"""


def run_app(state: Path, env: dict[str, str] | None = None) -> tuple[list[list[str]], str]:
    process = run_bounded(EMIT_HASHED, {"OTEL_PRODUCT_EVENTS_STATE_DIR": str(state), **(env or {})},
                          timeout=60)
    return last_json_line(process), process.stderr


@pytest.mark.parametrize("name", ["installation-id", "hash-key"])
def test_a_fifo_in_place_of_a_state_file_never_blocks_and_is_replaced(
        tmp_path: Path, name: str) -> None:
    os.mkfifo(tmp_path / name)
    [[installation, digest]], stderr = run_app(tmp_path)
    assert installation
    assert digest
    assert f"{name} is not a regular file; replaced it" in stderr
    assert (tmp_path / name).is_file()


def test_an_installation_id_that_is_not_utf8_is_replaced_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "installation-id").write_bytes(b"\xff\xfe\x00garbage")
    [[installation, _]], stderr = run_app(tmp_path)
    uuid.UUID(installation)
    assert "installation-id is not UTF-8 text; replaced it" in stderr
    assert (tmp_path / "installation-id").read_text().strip() == installation


@pytest.mark.parametrize("name", ["installation-id", "hash-key"])
def test_an_empty_state_file_is_replaced_with_a_warning(tmp_path: Path, name: str) -> None:
    (tmp_path / name).write_text("\n")
    _, stderr = run_app(tmp_path)
    assert f"{name} is empty; replaced it" in stderr
    assert (tmp_path / name).read_text().strip()


def test_the_replaced_id_is_kept_by_the_next_process(tmp_path: Path) -> None:
    (tmp_path / "installation-id").write_text("")
    first, _ = run_app(tmp_path)
    second, stderr = run_app(tmp_path)
    assert first == second
    assert "replaced" not in stderr


def test_a_symbolic_link_out_of_the_state_dir_is_neither_read_nor_written(
        tmp_path: Path) -> None:
    state, outside = tmp_path / "state", tmp_path / "outside"
    state.mkdir()
    outside.write_text("aa" * 32 + "\n")  # a valid key, readable by whoever made the link
    (state / "hash-key").symlink_to(outside)
    (state / "installation-id").symlink_to(tmp_path / "missing")  # dangling
    _, stderr = run_app(state)
    assert "hash-key is a symbolic link; replaced it" in stderr
    assert "installation-id is a symbolic link; replaced it" in stderr
    assert not (state / "hash-key").is_symlink()
    assert (state / "hash-key").read_text() != outside.read_text()
    assert outside.read_text() == "aa" * 32 + "\n"
    assert not (tmp_path / "missing").exists()


def test_a_state_file_over_the_size_limit_is_replaced(tmp_path: Path) -> None:
    (tmp_path / "installation-id").write_text("x" * (MAX_STATE_BYTES + 1))
    [[installation, _]], stderr = run_app(tmp_path)
    assert "is larger than" in stderr
    uuid.UUID(installation)


def test_a_key_file_shorter_than_16_bytes_is_replaced_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "hash-key").write_text("ab\n")  # one byte
    _, stderr = run_app(tmp_path)
    assert "hash-key does not hold a valid value; replaced it" in stderr
    assert len(bytes.fromhex((tmp_path / "hash-key").read_text())) >= 16


def test_a_short_key_in_the_environment_is_refused_with_a_warning(tmp_path: Path) -> None:
    _, stderr = run_app(tmp_path, {"OTEL_PRODUCT_EVENTS_HASH_KEY": "short"})
    assert "OTEL_PRODUCT_EVENTS_HASH_KEY is shorter than 16 bytes and is refused" in stderr


def test_configure_refuses_a_short_key() -> None:
    with pytest.raises(ValueError, match="shorter than 16 bytes"):
        pe.configure(hash_key=b"x")


EVERY_CALL = """
import otel_product_events as pe
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter
if SWITCH_OFF:
    pe.set_enabled(False)
pe.configure(service_name="opted-out", log_exporter=InMemoryLogRecordExporter())
pe.usage_ping("rows", lambda: {"a": 1}, interval=1)
pe.emit("a", {"u": pe.hashed("x")})
@pe.track("t", attributes={"u": pe.hashed("x")})
def f(x):
    return 1
f(1)
with pe.product_context({"u": pe.hashed("y")}):
    pe.emit("b")
with pe.track_lifecycle("l", attributes={"u": pe.hashed("z")}) as run:
    run.set_attributes({"v": pe.hashed("q")})
print(pe.hashed("w"), pe.stats())
pe.shutdown()
"""


@pytest.mark.parametrize(("env", "switch_off"), [
    ({"DO_NOT_TRACK": "1"}, False),
    ({"OTEL_PRODUCT_EVENTS_ENABLED": "false"}, False),
    ({"OTEL_SDK_DISABLED": "true"}, False),
    ({}, True),
], ids=["DO_NOT_TRACK", "ENABLED=false", "SDK_DISABLED", "set_enabled(False)"])
def test_opted_out_no_api_call_creates_a_file_or_directory(
        tmp_path: Path, env: dict[str, str], switch_off: bool) -> None:
    state = tmp_path / "state"
    process = run_bounded(f"SWITCH_OFF = {switch_off}\n" + EVERY_CALL,
                          {"OTEL_PRODUCT_EVENTS_STATE_DIR": str(state), **env}, timeout=60)
    assert process.returncode == 0, process.stderr[-2000:]
    assert not state.exists()
