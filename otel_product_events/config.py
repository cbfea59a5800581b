"""Reads this library's environment variables once into a frozen :class:`Settings`.

Operators set environment variables; a bad value there warns and falls back to the default, so a
typo in a deployment never stops the application.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from otel_product_events import environment_variables as ev

_log = logging.getLogger("otel_product_events")

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})

DEFAULT_SHUTDOWN_TIMEOUT_S = 2.0
DEFAULT_MAX_EVENT_BYTES = 256 * 1024
DEFAULT_SPOOL_MAX_MIB = 50.0
DEFAULT_SPOOL_MAX_AGE_DAYS = 7.0
#: The spool of undelivered records, under the state directory (see ``pipeline/spool.py``).
SPOOL_DIR_NAME = "spool"


@dataclass(frozen=True, slots=True)
class Settings:
    """What the environment asks of the library, read once at import."""

    #: False when DO_NOT_TRACK, OTEL_PRODUCT_EVENTS_ENABLED=false or OTEL_SDK_DISABLED=true.
    enabled: bool
    installation_id: str | None
    state_dir: Path
    shutdown_timeout_s: float
    strict: bool
    #: Bytes one event may take (name and encoded attributes); larger ones are dropped.
    max_event_bytes: int
    #: False when OTEL_PRODUCT_EVENTS_SPOOL=false: undeliverable records are dropped (counted).
    spool: bool = True
    spool_max_bytes: int = int(DEFAULT_SPOOL_MAX_MIB * 2**20)
    spool_max_age_s: float = DEFAULT_SPOOL_MAX_AGE_DAYS * 86400

    @property
    def spool_dir(self) -> Path:
        return self.state_dir / SPOOL_DIR_NAME


def parse_bool(environ: Mapping[str, str], name: str, default: bool) -> bool:
    """Reads a boolean variable; an unrecognised value warns and keeps ``default``."""
    raw = environ.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    _log.warning("%s=%r is not a boolean (true/false); using %s.", name, raw, default)
    return default


def parse_positive_float(environ: Mapping[str, str], name: str, default: float) -> float:
    """Reads a positive number; anything else warns and keeps ``default``."""
    raw = environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        _log.warning("%s=%r is not a positive number; using %s.", name, raw, default)
        return default
    return value


def default_state_dir(environ: Mapping[str, str]) -> Path:
    """The per-user state directory (XDG on Linux, the platform's equivalent elsewhere)."""
    if os.name == "nt":
        base = environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "otel-product-events"
    xdg = environ.get("XDG_STATE_HOME")
    if xdg:
        return Path(xdg) / "otel-product-events"
    return Path.home() / ".local" / "state" / "otel-product-events"


def _opt_out_reason(environ: Mapping[str, str]) -> str | None:
    # DO_NOT_TRACK (consoledonottrack.com): any truthy value opts out.
    if parse_bool(environ, "DO_NOT_TRACK", False):
        return "DO_NOT_TRACK"
    if not parse_bool(environ, ev.OTEL_PRODUCT_EVENTS_ENABLED, True):
        return ev.OTEL_PRODUCT_EVENTS_ENABLED
    # The OTel spec only recognises "true" here, case-insensitively.
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return "OTEL_SDK_DISABLED"
    return None


def read_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Builds :class:`Settings` from ``environ`` (default: ``os.environ``)."""
    env = os.environ if environ is None else environ
    reason = _opt_out_reason(env)
    state_dir_raw = env.get(ev.OTEL_PRODUCT_EVENTS_STATE_DIR, "").strip()
    installation_id = env.get(ev.OTEL_PRODUCT_EVENTS_INSTALLATION_ID, "").strip() or None
    return Settings(
        enabled=reason is None,
        installation_id=installation_id,
        state_dir=Path(state_dir_raw).expanduser() if state_dir_raw else default_state_dir(env),
        shutdown_timeout_s=parse_positive_float(
            env, ev.OTEL_PRODUCT_EVENTS_SHUTDOWN_TIMEOUT, DEFAULT_SHUTDOWN_TIMEOUT_S
        ),
        strict=parse_bool(env, ev.OTEL_PRODUCT_EVENTS_STRICT, False),
        max_event_bytes=int(parse_positive_float(
            env, ev.OTEL_PRODUCT_EVENTS_MAX_EVENT_SIZE, DEFAULT_MAX_EVENT_BYTES)),
        spool=parse_bool(env, ev.OTEL_PRODUCT_EVENTS_SPOOL, True),
        spool_max_bytes=int(parse_positive_float(
            env, ev.OTEL_PRODUCT_EVENTS_SPOOL_MAX_MIB, DEFAULT_SPOOL_MAX_MIB) * 2**20),
        spool_max_age_s=parse_positive_float(
            env, ev.OTEL_PRODUCT_EVENTS_SPOOL_MAX_AGE_DAYS, DEFAULT_SPOOL_MAX_AGE_DAYS) * 86400,
    )


#: The settings of this process, read once when the package is imported.
SETTINGS = read_settings()
