"""The anonymous installation id sent as ``app.installation.id`` on every event.

It is random (never derived from hardware or user data), created on first use, and persisted in
the user state directory so it survives restarts and upgrades, as the semantic conventions ask.
It is not ``service.instance.id``, which the SDK regenerates for every process.
"""

from __future__ import annotations

import threading
import uuid

from otel_product_events import guard
from otel_product_events.config import SETTINGS
from otel_product_events.privacy.consent import SWITCH
from otel_product_events.privacy.state import read_or_create

FILE_NAME = "installation-id"
#: Longest id accepted from the file (a UUID has 36 characters).
MAX_ID_LENGTH = 128
_UNPERSISTED = str(uuid.uuid4())

_lock = threading.Lock()
_installation_id: str | None = None


def installation_id() -> str:
    """The id of this installation, read or created once per process.

    While tracking is off nothing is read or written: a random id for the moment (nothing is
    sent with it anyway), and the real one is resolved once tracking is on."""
    global _installation_id
    if _installation_id is None:
        if not SWITCH.on and not SETTINGS.installation_id:
            return _UNPERSISTED
        with _lock:
            if _installation_id is None:
                _installation_id = _load()
    return _installation_id


def set_installation_id(value: str | None) -> None:
    """Overrides the id for this process (``configure(installation_id=...)``)."""
    global _installation_id
    with _lock:
        _installation_id = value


def _load() -> str:
    if SETTINGS.installation_id:
        return SETTINGS.installation_id
    try:
        return read_or_create(SETTINGS.state_dir, FILE_NAME, lambda: str(uuid.uuid4()),
                              valid=_valid_id)
    except OSError as error:
        guard.warn(
            "state-dir",
            "otel_product_events: cannot persist the installation id in %s (%s); using a "
            "random id for this process. Set OTEL_PRODUCT_EVENTS_STATE_DIR to a writable "
            "directory or OTEL_PRODUCT_EVENTS_INSTALLATION_ID.",
            SETTINGS.state_dir,
            type(error).__name__,
        )
        return str(uuid.uuid4())


def _valid_id(text: str) -> bool:
    return len(text) <= MAX_ID_LENGTH and text.isprintable() and not any(c.isspace()
                                                                         for c in text)
