"""The on-disk spool: encoded OTLP requests the collector could not take, kept for the next run.

One file per batch, named so that sorting the names sorts oldest first, written under a
temporary name and renamed into place (a reader never sees half a file). Each file is a
32-byte header (magic, format version, signal, record count, creation time, payload length,
CRC32 of the payload) and the payload: the protobuf bytes of an ``ExportLogsServiceRequest`` or
``ExportTraceServiceRequest``, exactly what an OTLP exporter would have sent. The directory is
0700 and files 0600: events may hold user data.

Bounds: ``max_bytes`` (the oldest files are dropped first) and ``max_age_s``; every record
dropped is counted (``*_spool_dropped``), as is every corrupt file (``spool_files_corrupt``).
Several processes may share a spool: a file is counted by whoever managed to delete it.
"""

from __future__ import annotations

import itertools
import os
import struct
import tempfile
import time
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from otel_product_events import guard

MAGIC: Final = b"OPESPOOL"
VERSION: Final = 1
_HEADER: Final = struct.Struct(">8sHBBIQII")
HEADER_SIZE: Final = _HEADER.size  # 32
#: Signal codes in the header, and the counter prefix of each.
SIGNALS: Final = {1: "log_records", 2: "spans"}
_CODES: Final = {name: code for code, name in SIGNALS.items()}
SUFFIX: Final = ".otlp"
_sequence = itertools.count()


class CorruptSpoolFile(ValueError):
    """A spool file that is truncated, garbled, or from a newer format version."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One spooled batch, read back."""

    path: Path
    signal: str  # "log_records" or "spans"
    records: int
    created_unix_s: float
    payload: bytes


class Spool:
    """A spool directory with its bounds; every method is safe to call from several threads
    and processes at once."""

    def __init__(self, directory: Path, max_bytes: int, max_age_s: float) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.max_age_s = max_age_s

    def write(self, signal: str, payload: bytes, records: int) -> Path | None:
        """Stores one encoded request; returns its path, or None if it could not be kept
        (then the caller's records are lost, and counted here as dropped)."""
        if HEADER_SIZE + len(payload) > self.max_bytes:
            guard.count(f"{signal}_spool_dropped", records)
            return None
        header = _HEADER.pack(MAGIC, VERSION, _CODES[signal], 0, records, int(time.time() * 1000),
                              len(payload), zlib.crc32(payload))
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        name = f"{time.time_ns():020d}-{os.getpid()}-{next(_sequence):06d}-{signal}{SUFFIX}"
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=self.directory)  # created 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(header)
                handle.write(payload)
            path = self.directory / name
            os.rename(tmp, path)
        except BaseException:
            _unlink(Path(tmp))
            raise
        self.enforce_bounds(keep=path)
        return path

    def files(self) -> list[Path]:
        """The spooled files, oldest first."""
        try:
            names = sorted(n for n in os.listdir(self.directory) if n.endswith(SUFFIX))
        except FileNotFoundError:
            return []
        return [self.directory / n for n in names]

    def enforce_bounds(self, keep: Path | None = None) -> None:
        """Drops files older than the age bound, then the oldest until the size bound holds."""
        sizes: list[tuple[Path, int]] = []
        oldest_allowed = time.time() - self.max_age_s
        for path in self.files():
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            if stat.st_mtime < oldest_allowed and path != keep:
                self.drop(path)
            else:
                sizes.append((path, stat.st_size))
        total = sum(size for _, size in sizes)
        for path, size in sizes:
            if total <= self.max_bytes:
                break
            if path != keep:
                self.drop(path)
                total -= size

    def read(self, path: Path) -> Entry:
        """Reads one file back; raises :class:`CorruptSpoolFile` or ``FileNotFoundError``."""
        data = path.read_bytes()
        signal, records, created_ms, length, crc = _parse_header(data)
        payload = data[HEADER_SIZE:]
        if len(payload) != length or zlib.crc32(payload) != crc:
            raise CorruptSpoolFile("truncated or garbled payload")
        return Entry(path, signal, records, created_ms / 1000, payload)

    def drop(self, path: Path) -> None:
        """Deletes a file that will not be sent, counting its records as dropped."""
        try:
            with path.open("rb") as handle:  # the header says how many: no need to read on
                signal, records, *_ = _parse_header(handle.read(HEADER_SIZE))
        except FileNotFoundError:
            return
        except CorruptSpoolFile:
            self.discard_corrupt(path)
            return
        if _unlink(path):
            guard.count(f"{signal}_spool_dropped", records)

    def discard_corrupt(self, path: Path) -> None:
        if _unlink(path):
            guard.count("spool_files_corrupt")
            guard.warn("spool-corrupt", "otel_product_events: removed a corrupt spool file in "
                       "%s (truncated, garbled or from a newer version).", self.directory)

    def remove_sent(self, entry: Entry) -> None:
        """Deletes a file the collector accepted."""
        if _unlink(entry.path):
            guard.count(f"{entry.signal}_sent_from_spool", entry.records)

    def clean_stale_temporaries(self, older_than_s: float = 3600) -> None:
        # A process killed mid-write leaves a .tmp- file; never one a live writer still uses.
        try:
            names = [n for n in os.listdir(self.directory) if n.startswith(".tmp-")]
        except FileNotFoundError:
            return
        for name in names:
            path = self.directory / name
            try:
                if path.stat().st_mtime < time.time() - older_than_s:
                    _unlink(path)
            except FileNotFoundError:
                pass


def _parse_header(data: bytes) -> tuple[str, int, int, int, int]:
    """(signal, records, created_ms, payload length, crc) of a file starting with ``data``."""
    if len(data) < HEADER_SIZE:
        raise CorruptSpoolFile("truncated header")
    magic, version, code, _, records, created_ms, length, crc = _HEADER.unpack_from(data)
    if magic != MAGIC:
        raise CorruptSpoolFile("not a spool file")
    if version != VERSION:
        raise CorruptSpoolFile(f"format version {version}")
    if code not in SIGNALS:
        raise CorruptSpoolFile(f"signal {code}")
    return SIGNALS[code], records, created_ms, length, crc


def _unlink(path: Path) -> bool:
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True

