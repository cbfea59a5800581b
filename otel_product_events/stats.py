"""What the library counted: dropped attributes and events, internal errors."""

from __future__ import annotations

from . import guard


def stats() -> dict[str, int]:
    """Counters since the process started, e.g. ``{"attributes_dropped": 2}``.

    Counters that never moved are absent.
    """
    return guard.snapshot()
