"""One-way hashing of identifiers, in-process, before anything is exported.

``hashed(x)`` marks a source (in ``track(attributes=...)``) or a value (in ``emit`` and
``product_context``) to be sent as the lowercase hex digest of its UTF-8 text (``str()`` of
non-strings). The algorithm comes from ``OTEL_PRODUCT_EVENTS_HASH_ALGORITHM``:

* ``hmac-sha256`` (default): keyed. Identifiers such as e-mail addresses or small user ids
  have little entropy; an unkeyed digest of one is reversed by hashing every candidate (a
  dictionary attack). With a secret key, a digest is only linkable, never reversible, by whoever
  lacks the key. The key comes from ``OTEL_PRODUCT_EVENTS_HASH_KEY`` or ``configure``, else it
  is random and kept beside the installation id (mode 0600), so digests stay stable across
  restarts of one installation and differ between installations.
* ``sha256`` and ``md5``: unkeyed, for compatibility with existing warehouses and Meltano-style
  short digests. Only for values that are not guessable.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Callable
from typing import Final

from otel_product_events import environment_variables as ev
from otel_product_events.config import SETTINGS
from otel_product_events.privacy.consent import SWITCH

ALGORITHMS: Final = ("hmac-sha256", "sha256", "md5")
DEFAULT_ALGORITHM: Final = "hmac-sha256"
KEY_FILE: Final = "hash-key"
#: Shortest HMAC key accepted: a shorter one is guessable, so digests could be reversed.
MIN_KEY_BYTES: Final = 16


class HashedText(str):
    """A digest made by this module: text that is already safe to send as a hashed value."""

    __slots__ = ()


def text_of(value: object) -> str:
    """The text that is hashed: the value itself for strings, ``str()`` otherwise."""
    return value if isinstance(value, str) else str(value)


def digest(algorithm: str, key: bytes | None, value: object) -> HashedText:
    """The lowercase hex digest of ``value``'s UTF-8 text."""
    data = text_of(value).encode("utf-8", "surrogatepass")
    if algorithm == "hmac-sha256":
        if not key:
            raise ValueError("hmac-sha256 needs a key")
        return HashedText(hmac.new(key, data, hashlib.sha256).hexdigest())
    if algorithm == "sha256":
        return HashedText(hashlib.sha256(data).hexdigest())
    if algorithm == "md5":
        return HashedText(hashlib.md5(data, usedforsecurity=False).hexdigest())
    raise ValueError(f"unknown hash algorithm {algorithm!r}; use one of {', '.join(ALGORITHMS)}")


class _Hasher:
    """The algorithm and key of this process, resolved on first use (a key file is written only
    when something is actually hashed)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.function: Callable[[object], HashedText] | None = None
        self.key_override: bytes | None = None
        self.algorithm_override: str | None = None

    def __call__(self, value: object) -> HashedText:
        function = self.function
        if function is None:
            if not SWITCH.on:  # opted out: no key file, no directory; nothing is sent anyway
                return digest("hmac-sha256", _UNPERSISTED_KEY, value)
            function = self._resolve()
        return function(value)

    def configure(self, algorithm: str | None, key: str | bytes | None) -> None:
        if algorithm is not None and algorithm not in ALGORITHMS:
            raise ValueError(f"hash_algorithm={algorithm!r}: use one of {', '.join(ALGORITHMS)}")
        if key is not None and len(key.encode() if isinstance(key, str) else key) < MIN_KEY_BYTES:
            raise ValueError(f"hash_key is shorter than {MIN_KEY_BYTES} bytes; use a random "
                             "secret of at least 16 bytes (32 recommended)")
        with self.lock:
            self.algorithm_override = algorithm
            self.key_override = key.encode() if isinstance(key, str) else key
            self.function = None

    def _resolve(self) -> Callable[[object], HashedText]:
        with self.lock:
            if self.function is None:
                algorithm = self.algorithm_override or _algorithm_from_environment()
                key = self.key_override
                if algorithm == "hmac-sha256" and not key:
                    key = _key_from_environment() or _persisted_key()
                self.function = lambda value: digest(algorithm, key, value)
                if algorithm != "hmac-sha256":
                    self.function = lambda value: digest(algorithm, None, value)
            return self.function


def _algorithm_from_environment() -> str:
    from otel_product_events import guard

    raw = os.environ.get(ev.OTEL_PRODUCT_EVENTS_HASH_ALGORITHM, "").strip().lower()
    if not raw:
        return DEFAULT_ALGORITHM
    if raw in ALGORITHMS:
        return raw
    guard.warn("hash-algorithm", "otel_product_events: %s=%r is not one of %s; using %s.",
               ev.OTEL_PRODUCT_EVENTS_HASH_ALGORITHM, raw, ", ".join(ALGORITHMS),
               DEFAULT_ALGORITHM)
    return DEFAULT_ALGORITHM


def _key_from_environment() -> bytes | None:
    from otel_product_events import guard

    raw = os.environ.get(ev.OTEL_PRODUCT_EVENTS_HASH_KEY, "")
    if raw and len(raw.encode("utf-8")) < MIN_KEY_BYTES:
        guard.warn("hash-key-short", "otel_product_events: %s is shorter than %d bytes and is "
                   "refused (a short key can be guessed); using this installation's own key. "
                   "Set a random secret of at least 16 bytes.", ev.OTEL_PRODUCT_EVENTS_HASH_KEY,
                   MIN_KEY_BYTES)
        return None
    return raw.encode("utf-8") if raw else None


def _valid_key_text(text: str) -> bool:
    try:
        return len(bytes.fromhex(text)) >= MIN_KEY_BYTES
    except ValueError:
        return False


def _persisted_key() -> bytes:
    from otel_product_events import guard
    from otel_product_events.privacy.state import read_or_create

    try:
        text = read_or_create(SETTINGS.state_dir, KEY_FILE, lambda: secrets.token_hex(32),
                              private=True, valid=_valid_key_text)
        return bytes.fromhex(text)
    except (OSError, ValueError) as error:
        guard.warn("hash-key", "otel_product_events: cannot keep the hash key in %s (%s); "
                   "using a key for this process only, so hashes will differ after a restart. "
                   "Set OTEL_PRODUCT_EVENTS_HASH_KEY.", SETTINGS.state_dir,
                   type(error).__name__)
        return secrets.token_bytes(32)


_UNPERSISTED_KEY: Final = secrets.token_bytes(32)

#: Hashes a value with this process's algorithm and key.
hash_value = _Hasher()


def hash_unless_none(value: object) -> HashedText | None:
    """A derived source's hashing step: an absent value stays absent (never hash "None")."""
    return None if value is None else hash_value(value)


def configure_hashing(algorithm: str | None = None, key: str | bytes | None = None) -> None:
    """Overrides the algorithm and key (``configure(hash_algorithm=..., hash_key=...)``)."""
    hash_value.configure(algorithm, key)
