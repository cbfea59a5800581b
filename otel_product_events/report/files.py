"""Reads the collector's product-event files, in every shape the file exporter writes them.

* plain OTLP JSON lines (``product-events.jsonl`` and its rotated backups);
* gzip-compressed copies (``*.gz``), as log rotation tools leave them;
* ``compression: zstd``: either one zstd stream of JSON lines (a ``.zst`` file, the native
  compression of newer file exporters) or, in the classic format, each batch compressed on its
  own behind a 4-byte big-endian length.

Each yields the decoded ``ExportLogsServiceRequest`` documents (dicts), in file order.
"""

from __future__ import annotations

import gzip
import io
import json
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_GZIP_MAGIC = b"\x1f\x8b"


class UnreadableFile(ValueError):
    """A file in the data directory that is not in any format the file exporter writes."""


def data_files(data_dir: Path, prefix: str = "product-events") -> list[Path]:
    """The event files under ``data_dir`` (active and rotated), oldest first."""
    if not data_dir.is_dir():
        raise FileNotFoundError(f"no data directory {data_dir}")
    files = [p for p in data_dir.iterdir() if p.is_file() and p.name.startswith(prefix)]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))


def _zstd_decompress(data: bytes) -> bytes:
    import zstandard

    reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data),
                                                         read_across_frames=True)
    return reader.read()


def _json_lines(text: bytes, path: Path) -> Iterator[dict[str, Any]]:
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):
                return  # the collector is still writing this line
            raise UnreadableFile(f"{path}:{number}: not a JSON document") from None


def _length_prefixed(data: bytes, path: Path) -> Iterator[dict[str, Any]]:
    offset = 0
    while offset + 4 <= len(data):
        (size,) = struct.unpack_from(">I", data, offset)
        payload = data[offset + 4: offset + 4 + size]
        if len(payload) < size:
            return  # truncated last message: still being written
        offset += 4 + size
        if payload.startswith(_ZSTD_MAGIC):
            payload = _zstd_decompress(payload)
        if not payload.lstrip().startswith(b"{"):
            raise UnreadableFile(f"{path}: holds protobuf, not JSON; configure the file "
                                 "exporter with format: json")
        yield from _json_lines(payload, path)


def read_requests(path: Path) -> Iterator[dict[str, Any]]:
    """The OTLP JSON requests stored in one file, whatever its compression."""
    data = path.read_bytes()
    if data.startswith(_GZIP_MAGIC):
        data = gzip.decompress(data)
    if data.startswith(_ZSTD_MAGIC):
        data = _zstd_decompress(data)
    stripped = data.lstrip()
    if not stripped or stripped.startswith(b"{"):
        yield from _json_lines(data, path)
    else:
        yield from _length_prefixed(data, path)
