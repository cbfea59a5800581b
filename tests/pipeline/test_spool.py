"""The spool store on its own: file format and permissions, the size and age bounds, corrupt
files, and consent withdrawn. (End-to-end behaviour: tests/reliability/test_spool.py.)"""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from otel_product_events import guard
from otel_product_events.pipeline.spool import HEADER_SIZE, CorruptSpoolFile, Spool
from otel_product_events.testing.collector import free_ports
from tests.helpers import last_json_line, run_python


@pytest.fixture(autouse=True)
def _lenient() -> None:
    guard.set_strict(False)  # these tests make the store warn on purpose


def counter(name: str) -> int:
    return guard.snapshot().get(name, 0)


def test_a_batch_is_written_private_and_read_back_unchanged(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", 1 << 20, 3600)
    path = spool.write("log_records", b"payload bytes", 7)
    assert path is not None
    entry = spool.read(path)
    assert (entry.signal, entry.records, entry.payload) == ("log_records", 7, b"payload bytes")
    assert stat.S_IMODE((tmp_path / "spool").stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.stat().st_size == HEADER_SIZE + len(b"payload bytes")
    assert os.listdir(tmp_path / "spool") == [path.name]  # no temporary left behind


def test_files_list_oldest_first(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 1 << 20, 3600)
    written = [spool.write("spans", bytes([i]), 1) for i in range(20)]
    assert spool.files() == written


def test_the_size_bound_drops_the_oldest_files_and_counts_their_records(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 10 * (HEADER_SIZE + 1000), 3600)
    before = counter("log_records_spool_dropped")
    written = [spool.write("log_records", bytes(1000), 5) for _ in range(15)]
    assert spool.files() == written[5:]  # the newest ten fit
    assert counter("log_records_spool_dropped") - before == 25


def test_a_batch_larger_than_the_whole_spool_is_dropped_and_counted(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 1000, 3600)
    before = counter("spans_spool_dropped")
    assert spool.write("spans", bytes(2000), 3) is None
    assert spool.files() == []
    assert counter("spans_spool_dropped") - before == 3


def test_files_older_than_the_age_bound_are_dropped_and_counted(tmp_path: Path) -> None:
    spool = Spool(tmp_path, 1 << 20, 7 * 86400)
    old = spool.write("log_records", b"old", 4)
    assert old is not None
    eight_days_ago = time.time() - 8 * 86400
    os.utime(old, (eight_days_ago, eight_days_ago))
    before = counter("log_records_spool_dropped")
    new = spool.write("log_records", b"new", 1)
    assert spool.files() == [new]
    assert counter("log_records_spool_dropped") - before == 4


@pytest.mark.parametrize("damage", ["truncated", "garbage", "newer version", "flipped byte"])
def test_a_damaged_file_reads_as_corrupt(tmp_path: Path, damage: str) -> None:
    spool = Spool(tmp_path, 1 << 20, 3600)
    path = spool.write("log_records", b"x" * 100, 1)
    assert path is not None
    data = bytearray(path.read_bytes())
    if damage == "truncated":
        data = data[:-10]
    elif damage == "garbage":
        data = bytearray(os.urandom(len(data)))
    elif damage == "newer version":
        data[8:10] = (2).to_bytes(2, "big")
    else:
        data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptSpoolFile):
        spool.read(path)


def test_switching_off_at_run_time_deletes_the_spool(tmp_path: Path) -> None:
    spool_dir = tmp_path / "spool"
    Spool(spool_dir, 1 << 20, 3600).write("log_records", b"unsent", 1)
    run_python("""
import otel_product_events as pe
pe.set_enabled(False)
""", {"OTEL_PRODUCT_EVENTS_STATE_DIR": str(tmp_path)})
    assert not spool_dir.exists()


def test_an_unwritable_state_dir_costs_the_spool_not_the_app(tmp_path: Path) -> None:
    """The state dir is a plain file: nothing can be spooled; the app exits normally, even in
    strict mode, and the loss is counted."""
    (tmp_path / "not-a-dir").write_text("")
    process = run_python("""
import atexit, json, sys
import otel_product_events as pe
atexit.register(lambda: print(json.dumps(pe.stats()), flush=True))
pe.configure(endpoint=sys.argv[1])
for i in range(100):
    pe.emit("offline.work")
""", {"OTEL_PRODUCT_EVENTS_STATE_DIR": str(tmp_path / "not-a-dir"),
      "OTEL_PRODUCT_EVENTS_STRICT": "true", "OTEL_PRODUCT_EVENTS_SHUTDOWN_TIMEOUT": "0.5"},
        args=[f"http://127.0.0.1:{free_ports(1)[0]}"])
    stats = last_json_line(process)
    assert stats.get("spool_write_errors", 0) >= 1, stats
    assert "log_records_spooled" not in stats
    assert "Traceback" not in process.stderr, process.stderr
    assert ("100 log records not exported within 0.5 s at exit (collector slow or unreachable?)"
            "; dropped so the process can end" in process.stderr)
