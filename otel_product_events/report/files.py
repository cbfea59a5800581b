"""Reads the collector's product-event files, in every shape the file exporter writes them.

* plain OTLP JSON lines (``product-events.jsonl`` and its rotated backups);
* gzip-compressed copies (``*.gz``), as log rotation tools leave them;
* ``compression: zstd``: either one zstd stream of JSON lines (a ``.zst`` file, the native
  compression of newer file exporters) or, in the classic format, each batch compressed on its
  own behind a 4-byte big-endian length.

Each yields the decoded ``ExportLogsServiceRequest`` documents (dicts), in file order.

Whatever a file holds, reading it is bounded: decompression is streamed, a line (one batch)
longer than :data:`MAX_LINE_BYTES` once decompressed is skipped without being held, and a
line that is not an OTLP logs request is skipped and counted in :class:`Skipped`, which names
the first file and line of each reason. A file that is not JSON lines at all raises
:class:`UnreadableFile` naming it.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import struct
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Final

_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_GZIP_MAGIC = b"\x1f\x8b"
#: One line is one exported batch; the file exporter's batches are far smaller.
MAX_LINE_BYTES: Final = 16 * 1024 * 1024
_CHUNK: Final = 1024 * 1024

NOT_OTLP: Final = "not OTLP logs"
TOO_LONG: Final = f"longer than {MAX_LINE_BYTES // (1024 * 1024)} MiB"


class UnreadableFile(ValueError):
    """A file in the data directory that is not in any format the file exporter writes."""


@dataclass
class Skipped:
    """What reading left out, per reason (lines, records), with where the first one was."""

    counts: Counter[str] = field(default_factory=Counter)
    first: dict[str, str] = field(default_factory=dict)

    def add(self, reason: str, where: str, n: int = 1) -> None:
        self.counts[reason] += n
        self.first.setdefault(reason, where)

    def lines(self) -> list[str]:
        """One sentence per reason: ``3 lines skipped: not OTLP logs (first at f.jsonl:2)``."""
        return [f"{count} {_noun(reason, count)} skipped: {reason.partition(':')[2].strip()} "
                f"(first at {self.first[reason]})" for reason, count in self.counts.items()]


def _noun(reason: str, count: int) -> str:
    noun = reason.partition(":")[0]
    return noun if count == 1 else noun + "s"


def data_files(data_dir: Path, prefix: str = "product-events") -> list[Path]:
    """The event files under ``data_dir`` (active and rotated), oldest first. A symbolic link
    pointing out of ``data_dir`` raises :class:`UnreadableFile`; FIFOs and devices are not
    files and are left alone."""
    if not data_dir.is_dir():
        raise FileNotFoundError(f"no data directory {data_dir}")
    root = data_dir.resolve()
    files = []
    for path in data_dir.iterdir():
        if not path.name.startswith(prefix) or not path.is_file():
            continue
        if path.is_symlink() and root not in path.resolve().parents:
            raise UnreadableFile(f"{path}: a symbolic link out of the data directory; "
                                 "not read")
        files.append(path)
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))


def read_requests(path: Path, skipped: Skipped | None = None) -> Iterator[dict[str, Any]]:
    """The OTLP JSON requests stored in one file, whatever its compression; lines that are
    not requests are counted in ``skipped``, and so is compressed data that ends early or is
    corrupt (what came before it is kept)."""
    skipped = skipped if skipped is not None else Skipped()
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # never wait on a FIFO
    with os.fdopen(fd, "rb") as raw:
        stream = _decompressed(raw)
        if _is_length_prefixed(stream.head):
            yield from _length_prefixed(stream, path, skipped)
        else:
            yield from _json_lines(_lines(stream), path, skipped)
        if stream.broken:
            skipped.add("file: its compressed data ends early or is corrupt", str(path))


class _Stream:
    """A readable stream whose first bytes (``head``) are read ahead to sniff the format;
    ``read(n)`` returns n bytes unless the stream ends. A decompressor's error ends it too,
    and sets ``broken``."""

    def __init__(self, rest: Any) -> None:
        self.rest, self.broken = rest, False
        self.head = self._read_rest(64)

    def _read_rest(self, size: int) -> bytes:
        if self.broken:
            return b""
        try:
            data: bytes = self.rest.read(size)
        except Exception:  # EOFError, BadGzipFile, zlib.error, ZstdError: corrupt or cut
            self.broken = True
            return b""
        return data

    def read(self, size: int = -1) -> bytes:
        if size < 0:
            size = MAX_LINE_BYTES  # (never asked by our readers; bounded all the same)
        out = bytearray(self.head[:size])
        self.head = self.head[size:]
        while len(out) < size:
            data = self._read_rest(size - len(out))
            if not data:
                break
            out += data
        return bytes(out)


def _decompressed(raw: Any) -> _Stream:
    stream = _Stream(raw)
    if stream.head.startswith(_GZIP_MAGIC):
        source: Any = stream  # (a file-like object as far as gzip and zstandard care)
        stream = _Stream(gzip.GzipFile(fileobj=source, mode="rb"))
    if stream.head.startswith(_ZSTD_MAGIC):
        import zstandard

        source = stream
        stream = _Stream(zstandard.ZstdDecompressor().stream_reader(source,
                                                                     read_across_frames=True))
    return stream


def _is_length_prefixed(head: bytes) -> bool:
    """The classic zstd format: a 4-byte length, then a zstd frame (or JSON) per batch."""
    return len(head) > 4 and (head[4:8] == _ZSTD_MAGIC or head[4:].lstrip().startswith(b"{"))


def _lines(stream: _Stream | IO[bytes]) -> Iterator[bytes | None]:
    """The lines of ``stream``; None for one longer than :data:`MAX_LINE_BYTES`, which is
    read past without being kept."""
    buffer = bytearray()
    too_long = False
    while chunk := stream.read(_CHUNK):
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            if too_long or len(buffer) + end - start > MAX_LINE_BYTES:
                yield None
            else:
                buffer += chunk[start:end]
                yield bytes(buffer)
            buffer.clear()
            too_long, start = False, end + 1
        if not too_long:
            buffer += chunk[start:]
            if len(buffer) > MAX_LINE_BYTES:
                buffer.clear()
                too_long = True
    if too_long:
        yield None
    elif buffer:
        yield bytes(buffer)


def _json_lines(lines: Iterator[bytes | None], path: Path, skipped: Skipped
                ) -> Iterator[dict[str, Any]]:
    """Requests, one per line. A last line that does not parse but starts like one is still
    being written and is left for next time; a file where no line is JSON at all raises
    :class:`UnreadableFile`."""
    parsed = not_json = 0
    pending: int | None = None  # a line that did not parse, reported unless it is the last
    for number, line in enumerate(lines, start=1):
        if pending is not None:
            skipped.add("line: not JSON", f"{path}:{pending}")
            not_json, pending = not_json + 1, None
        if line is None:
            skipped.add("line: " + TOO_LONG, f"{path}:{number}")
            continue
        if not line.strip():
            continue
        document = _parse(line)
        if document is _NOT_JSON:
            salvaged, torn = _salvage(line)
            if salvaged:
                # A collector killed mid-write left a torn line, and its next start appended
                # to it: the requests after the tear were acknowledged and must not be lost.
                if torn:
                    skipped.add("line: torn write", f"{path}:{number}", torn)
                parsed += len(salvaged)
                yield from salvaged
            elif line.lstrip().startswith(b"{"):
                pending = number
            else:
                skipped.add("line: not JSON", f"{path}:{number}")
                not_json += 1
            continue
        parsed += 1
        if not _is_request(document):
            skipped.add("line: " + NOT_OTLP, f"{path}:{number}")
            continue
        yield document
    if not_json and not parsed:
        raise UnreadableFile(f"{path}: not JSON lines (nor any format the collector's file "
                             "exporter writes)")


_NOT_JSON: Final = object()
_REQUEST_START: Final = '{"resourceLogs"'
_DECODER: Final = json.JSONDecoder()


def _salvage(line: bytes) -> tuple[list[dict[str, Any]], int]:
    """The whole requests in a line that does not parse as one document (a torn write
    followed by what the restarted collector appended, or two requests run together), and the
    number of torn pieces between them."""
    text = line.decode("utf-8", "replace")  # invalid bytes can only be in a torn piece
    requests: list[dict[str, Any]] = []
    torn, position = 0, 0
    while position < len(text):
        try:
            document, position = _DECODER.raw_decode(text, position)
        except (ValueError, RecursionError):
            following = text.find(_REQUEST_START, position + 1)
            torn += 1
            if following < 0:
                break
            position = following
            continue
        if _is_request(document):
            requests.append(document)
        else:
            torn += 1
        while position < len(text) and text[position].isspace():
            position += 1
    return requests, torn


def _parse(line: bytes) -> Any:
    try:
        return json.loads(line)
    except (ValueError, RecursionError):  # bad JSON, not UTF-8, ints past the text limit
        return _NOT_JSON


def _is_request(document: object) -> bool:
    return isinstance(document, dict) and isinstance(document.get("resourceLogs"), list)


def _length_prefixed(stream: _Stream, path: Path, skipped: Skipped
                     ) -> Iterator[dict[str, Any]]:
    number = 0
    while len(header := stream.read(4)) == 4:
        number += 1
        (size,) = struct.unpack(">I", header)
        if size > MAX_LINE_BYTES:
            if not _skip(stream, size):
                return  # truncated last message: still being written
            skipped.add("batch: " + TOO_LONG, f"{path} (batch {number})")
            continue
        payload: bytes | None = stream.read(size)
        if payload is None or len(payload) < size:
            return  # truncated last message: still being written
        reason = TOO_LONG
        if payload.startswith(_ZSTD_MAGIC):
            payload, reason = _bounded_zstd(payload)
        elif not payload.lstrip().startswith(b"{"):
            raise UnreadableFile(f"{path}: holds protobuf or unknown data, not JSON lines; "
                                 "configure the file exporter with format: json")
        if payload is None:
            skipped.add("batch: " + reason, f"{path} (batch {number})")
            continue
        yield from _json_lines(_lines(io.BytesIO(payload)), path, skipped)


def _skip(stream: _Stream, size: int) -> bool:
    while size > 0:
        data = stream.read(min(size, _CHUNK))
        if not data:
            return False
        size -= len(data)
    return True


def _bounded_zstd(payload: bytes) -> tuple[bytes | None, str]:
    """The decompressed batch, or None and why not (over the limit, or corrupt)."""
    import zstandard

    reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(payload),
                                                         read_across_frames=True)
    try:
        data: bytes = reader.read(MAX_LINE_BYTES + 1)
    except zstandard.ZstdError:
        return None, "corrupt compressed data"
    return (None, TOO_LONG) if len(data) > MAX_LINE_BYTES else (data, "")
