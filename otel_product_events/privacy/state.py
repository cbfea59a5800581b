"""Small values persisted per installation (the installation id), created once, race-free.

Nothing is written while tracking is off: callers only reach this module when an event is
actually emitted.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def read_or_create(directory: Path, name: str, create: Callable[[], str], *,
                   private: bool = False) -> str:
    """Returns the text stored in ``directory/name``, creating it with ``create()`` if absent.

    Two processes starting together agree on one value: the file is written completely under a
    temporary name and then hard-linked into place, which fails if another process won.
    Raises ``OSError`` when the directory cannot be used; callers fall back to a value in memory.
    ``private`` files (secrets) are readable by their owner only.
    """
    path = directory / name
    existing = _read(path)
    if existing:
        return existing
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = create()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", dir=directory)  # created 0600
    if not private:
        os.chmod(tmp_name, 0o644)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(value + "\n")
        try:
            os.link(tmp_name, path)
        except FileExistsError:
            pass
        except OSError:
            # File systems without hard links: last writer wins, which is still one value.
            os.replace(tmp_name, path)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return _read(path) or value


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None
