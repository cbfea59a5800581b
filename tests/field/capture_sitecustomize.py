"""Placed after the launcher's bootstrap on PYTHONPATH as ``sitecustomize``: records the product
events of this process in memory and writes their counts per event name to
``$FIELD_EVENTS_DIR/<pid>.json`` at exit."""

import atexit
import json
import os

from otel_product_events.testing import capture_events

_block = capture_events()
_captured = _block.__enter__()


def _write() -> None:
    counts: dict[str, int] = {}
    for event in _captured.events:
        counts[event.name] = counts.get(event.name, 0) + 1
    path = os.path.join(os.environ["FIELD_EVENTS_DIR"], f"{os.getpid()}.json")
    with open(path, "w", encoding="utf-8") as out:
        json.dump(counts, out)


atexit.register(_write)
