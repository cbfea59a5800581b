"""Small values persisted per installation (the installation id, the hash key), created once,
race-free, and read defensively: whatever sits at the path, reading it never blocks, follows a
symbolic link, or reads more than :data:`MAX_STATE_BYTES`.

Nothing is written while tracking is off: callers check consent before reaching this module.
"""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Final

from otel_product_events import guard

#: A state file holds one short line; anything longer is not ours.
MAX_STATE_BYTES: Final = 4096

_OPEN_FLAGS: Final = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
                      | getattr(os, "O_CLOEXEC", 0))


class BadStateFile(Exception):
    """The file exists but cannot be used; the message says why, for the warning."""


def read_or_create(directory: Path, name: str, create: Callable[[], str], *,
                   private: bool = False, valid: Callable[[str], bool] = bool) -> str:
    """Returns the text stored in ``directory/name``, creating it with ``create()`` if absent.

    Two processes starting together agree on one value: the file is written completely under a
    temporary name and then hard-linked into place, which fails if another process won.
    A file that is unusable (a FIFO, a symbolic link, unreadable, not UTF-8, too large, empty,
    or refused by ``valid``) is replaced atomically, with a warning saying so.
    Raises ``OSError`` when the directory cannot be used; callers fall back to a value in memory.
    ``private`` files (secrets) are readable by their owner only.
    """
    path = directory / name
    try:
        existing = read_state(path, valid)
    except BadStateFile as problem:
        value = create()
        _write(directory, name, value, private=private, replace=True)
        guard.warn(f"state-file:{name}", "otel_product_events: %s %s; replaced it with a new "
                   "value (a new %s for this installation).", path, problem, name)
        try:
            return read_state(path, valid) or value
        except BadStateFile:
            return value
    if existing is not None:
        return existing
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = create()
    _write(directory, name, value, private=private, replace=False)
    try:
        return read_state(path, valid) or value
    except BadStateFile:
        return value


def read_state(path: Path, valid: Callable[[str], bool] = bool) -> str | None:
    """The stripped text of ``path``, None if there is no file; raises :class:`BadStateFile`
    for one that is there but unusable. Never blocks, never follows a symbolic link."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        if os.path.islink(path):
            raise BadStateFile("is a dangling symbolic link") from None
        return None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise BadStateFile("is a symbolic link") from None
        if isinstance(error, PermissionError):
            raise BadStateFile("cannot be read (permission denied)") from None
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise BadStateFile("is not a regular file")
        data = os.read(fd, MAX_STATE_BYTES + 1)
    finally:
        os.close(fd)
    if len(data) > MAX_STATE_BYTES:
        raise BadStateFile(f"is larger than {MAX_STATE_BYTES} bytes")
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise BadStateFile("is not UTF-8 text") from None
    if not text:
        raise BadStateFile("is empty")
    if not valid(text):
        raise BadStateFile("does not hold a valid value")
    return text


def _write(directory: Path, name: str, value: str, *, private: bool, replace: bool) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", dir=directory)  # created 0600
    path = directory / name
    try:
        if not private:
            os.chmod(tmp_name, 0o644)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(value + "\n")
        if replace:
            os.replace(tmp_name, path)  # replaces a link or FIFO itself, never its target
            return
        try:
            os.link(tmp_name, path)
        except FileExistsError:
            pass
        except OSError:
            # File systems without hard links: last writer wins, which is still one value.
            os.replace(tmp_name, path)
    finally:
        if os.path.lexists(tmp_name):
            os.unlink(tmp_name)
