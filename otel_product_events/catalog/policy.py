"""In-process enforcement of the event catalog: only declared events and attributes leave.

When a catalog is in force (``OTEL_PRODUCT_EVENTS_CATALOG``, or ``configure(catalog=...)``),
every event passes through :func:`enforce` just before it is emitted:

* an event the catalog does not declare is dropped (``events_dropped_undeclared``);
* an attribute not declared for the event is dropped (``attributes_dropped_undeclared``), and
  one of the wrong type too (``attributes_dropped_type``); the library's metadata always passes;
* an attribute declared ``hash: true`` is hashed here if the code did not hash it already, so
  the raw value cannot leave even when ``pe.hashed`` was forgotten.

Each is counted and logged once in a while; in strict mode (``OTEL_PRODUCT_EVENTS_STRICT``, for
the host application's tests and CI) it raises :class:`ProductEventsError` instead. A catalog
that cannot be loaded fails closed: events are dropped until the file changes, with one warning
saying why (the file is not read again per event), because an allow-list that silently
stopped applying would send what it was meant to stop.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Final

from otel_product_events import environment_variables as ev
from otel_product_events import guard, semconv
from otel_product_events.attributes import AttributeValue
from otel_product_events.catalog.model import Catalog, CatalogError, load_catalog
from otel_product_events.errors import ProductEventsError
from otel_product_events.privacy.hashing import HashedText, hash_value

#: Keys the library itself adds; a catalog never needs to declare them.
METADATA_KEYS: Final = frozenset(semconv.METADATA_KEYS)

_TYPE_CHECKS: Final[Mapping[str, Callable[[object], bool]]] = {
    "string": lambda v: isinstance(v, str),
    "int": lambda v: type(v) is int,
    "double": lambda v: type(v) in (float, int),
    "boolean": lambda v: type(v) is bool,
    "bytes": lambda v: isinstance(v, bytes),
    "string[]": lambda v: isinstance(v, tuple) and all(isinstance(i, str) for i in v),
    "int[]": lambda v: isinstance(v, tuple) and all(type(i) is int for i in v),
    "double[]": lambda v: isinstance(v, tuple) and all(type(i) in (float, int) for i in v),
    "boolean[]": lambda v: isinstance(v, tuple) and all(type(i) is bool for i in v),
    "map": lambda v: isinstance(v, dict),
}


#: Seconds between two looks at a broken catalog file (one ``stat``) to see if it changed.
RECHECK_INTERVAL_S = 5.0


class _Policy:
    __slots__ = ("catalog", "failed", "failed_file", "lock", "next_check", "resolved")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.resolved = False
        self.catalog: Catalog | None = None
        self.failed: str | None = None
        #: The broken file and its (size, mtime, inode) when it failed to load.
        self.failed_file: tuple[str, tuple[int, int, int] | None] | None = None
        self.next_check = 0.0


_policy = _Policy()


def enforce_catalog(catalog: Catalog | str | os.PathLike[str] | None) -> None:
    """Puts ``catalog`` (an object or a path) in force for this process; None lifts it.

    A path that does not load raises :class:`CatalogError`: this is the developer's call."""
    loaded = load_catalog(catalog) if isinstance(catalog, (str, os.PathLike)) else catalog
    with _policy.lock:
        _policy.catalog, _policy.failed, _policy.resolved = loaded, None, True
        _policy.failed_file = None


def current_catalog() -> Catalog | None:
    """The catalog in force, reading ``OTEL_PRODUCT_EVENTS_CATALOG`` on first use.

    A file that fails to load fails closed once: one warning naming it, then nothing is sent
    (and the file is not read again) until it changes."""
    if not _policy.resolved:
        with _policy.lock:
            if not _policy.resolved:
                path = os.environ.get(ev.OTEL_PRODUCT_EVENTS_CATALOG, "").strip()
                if path:
                    _load_locked(path)
                _policy.resolved = True
    elif _policy.failed_file is not None and time.monotonic() >= _policy.next_check:
        _recheck()
    return _policy.catalog


def _signature(path: str) -> tuple[int, int, int] | None:
    try:
        status = os.stat(path)
    except (OSError, ValueError):
        return None
    return (status.st_size, status.st_mtime_ns, status.st_ino)


def _load_locked(path: str) -> None:
    signature = _signature(path)
    try:
        _policy.catalog = load_catalog(path)
    except CatalogError as error:
        _policy.catalog = None
        _policy.failed = str(error)
        _policy.failed_file = (path, signature)
        _policy.next_check = time.monotonic() + RECHECK_INTERVAL_S
        first = error.problems[0] if error.problems else ""
        more = f" (and {len(error.problems) - 1} more)" if len(error.problems) > 1 else ""
        guard.warn(f"catalog-unusable:{path}", "otel_product_events: the event catalog %s "
                   "(%s) cannot be used, so no event is sent until the file changes: %s%s",
                   path, ev.OTEL_PRODUCT_EVENTS_CATALOG, first, more)
    else:
        _policy.failed, _policy.failed_file = None, None


def _recheck() -> None:
    with _policy.lock:
        failed = _policy.failed_file
        if failed is None or time.monotonic() < _policy.next_check:
            return
        path, signature = failed
        if _signature(path) == signature:
            _policy.next_check = time.monotonic() + RECHECK_INTERVAL_S
            return
        _load_locked(path)


def active() -> bool:
    """Whether events must pass :func:`enforce` (a catalog is in force, or failed to load)."""
    if _policy.resolved:  # the common, settled case: two attribute reads
        return _policy.catalog is not None or _policy.failed is not None
    return current_catalog() is not None or _policy.failed is not None


def _violation(counter: str, kind: str, message: str, *args: object) -> None:
    guard.count(counter)
    if guard.is_strict():
        raise ProductEventsError("otel_product_events: " + message % args)
    guard.warn(kind, "otel_product_events: " + message + ".", *args)


def enforce(event_name: str, attributes: dict[str, AttributeValue]
            ) -> dict[str, AttributeValue] | None:
    """The attributes that may be sent for ``event_name`` (None: drop the event)."""
    catalog = current_catalog()
    if catalog is None:
        # Warned once when it failed to load; each dropped event is only counted.
        guard.count("events_dropped_catalog_unusable")
        if guard.is_strict():
            raise ProductEventsError(f"otel_product_events: the event catalog cannot be used, "
                                     f"so no event is sent: {_policy.failed}")
        return None
    spec = catalog.event(event_name)
    if spec is None:
        _violation("events_dropped_undeclared", f"undeclared:{event_name}",
                   "event %r is not declared in the event catalog %s; it is dropped (declare "
                   "it there)", event_name, catalog.path)
        return None
    allowed: dict[str, AttributeValue] = {}
    for key, value in attributes.items():
        if key in METADATA_KEYS:
            allowed[key] = value
            continue
        declared = spec.attributes.get(key)
        if declared is None:
            _violation("attributes_dropped_undeclared", f"undeclared:{event_name}:{key}",
                       "event %r drops attribute %r, not declared for it in the event catalog "
                       "%s", event_name, key, catalog.path)
            continue
        if declared.hash and type(value) is not HashedText:
            value = hash_value(value)
        if not _TYPE_CHECKS[declared.type](value):
            _violation("attributes_dropped_type", f"type:{event_name}:{key}",
                       "event %r drops attribute %r: the catalog declares %s, the value is a %s",
                       event_name, key, declared.type, type(value).__name__)
            continue
        allowed[key] = value
    return allowed
