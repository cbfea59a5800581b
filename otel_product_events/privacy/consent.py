"""The one switch the hot path reads: may this process emit product telemetry right now?

It starts from the environment opt-outs (``DO_NOT_TRACK``, ``OTEL_PRODUCT_EVENTS_ENABLED``,
``OTEL_SDK_DISABLED``) and can be flipped at run time with :func:`set_enabled`, for an
application's own privacy setting. Reading it costs one attribute lookup.
"""

from __future__ import annotations

import shutil
import threading

from otel_product_events.config import SETTINGS


class _Switch:
    __slots__ = ("on",)

    def __init__(self, on: bool) -> None:
        self.on = on


#: Read as ``SWITCH.on`` on every call; written only under ``_lock``.
SWITCH = _Switch(SETTINGS.enabled)
_lock = threading.Lock()


def set_enabled(enabled: bool) -> None:
    """Switches product telemetry on or off for this process, effective immediately.

    Use it for an in-app consent setting (like Meltano's ``send_anonymous_usage_stats``).
    Switching on cannot override an environment opt-out such as ``DO_NOT_TRACK=1``: the
    operator's choice wins.
    """
    if not isinstance(enabled, bool):
        raise TypeError(f"set_enabled() takes True or False, not {type(enabled).__name__}")
    with _lock:
        SWITCH.on = enabled and SETTINGS.enabled
    if not enabled:
        forget_unsent()


def forget_unsent() -> None:
    """Deletes the spool of undelivered events: consent withdrawn means they are never sent."""
    shutil.rmtree(SETTINGS.spool_dir, ignore_errors=True)


def is_enabled() -> bool:
    """Whether product events are emitted right now."""
    return SWITCH.on
