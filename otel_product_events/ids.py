"""Identifiers: UUIDv7 for ``log.record.uid``, time-ordered so warehouses can sort and dedupe."""

from __future__ import annotations

import random
import time

# Not a secret, only unique: Mersenne Twister is several times cheaper than os.urandom, and the
# random module reseeds itself in a forked child, so parent and child never repeat each other.
_random_bits = random.getrandbits

_VERSION_7 = 0x7 << 76
_VARIANT_RFC = 0b10 << 62


def new_uuid7(timestamp_ns: int | None = None) -> str:
    """A new RFC 9562 UUIDv7: 48 bits of Unix milliseconds, then 74 random bits."""
    millis = (time.time_ns() if timestamp_ns is None else timestamp_ns) // 1_000_000
    rand = _random_bits(74)
    value = (
        (millis & 0xFFFF_FFFF_FFFF) << 80
        | _VERSION_7
        | (rand >> 62) << 64
        | _VARIANT_RFC
        | (rand & 0x3FFF_FFFF_FFFF_FFFF)
    )
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"
