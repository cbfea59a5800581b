"""Identifiers: UUIDv7 for ``log.record.uid``, time-ordered so warehouses can sort and dedupe,
and the trace and span ids of the tracer provider :func:`configure` builds.

All of them come from a private generator: an application that calls ``random.seed(k)`` (tests
often do) would otherwise make us repeat ids, and each id we drew would move the application's
own seeded sequence. Not a secret, only unique: a private Mersenne Twister seeded from the OS is
several times cheaper than ``os.urandom`` per id; it is re-seeded in a forked child, so parent
and child never repeat each other.
"""

from __future__ import annotations

import os
import random
import time
from typing import Final

from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.trace import INVALID_SPAN_ID, INVALID_TRACE_ID

#: Ours alone: nothing outside this package seeds it or draws from it.
PRIVATE_RANDOM: Final = random.Random(os.urandom(32))


def _reseed_in_child() -> None:
    PRIVATE_RANDOM.seed(os.urandom(32))


os.register_at_fork(after_in_child=_reseed_in_child)

_random_bits = PRIVATE_RANDOM.getrandbits  # re-seeding in place keeps this bound method valid

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


class PrivateIdGenerator(IdGenerator):
    """The SDK's random trace and span ids, drawn from :data:`PRIVATE_RANDOM`."""

    def generate_span_id(self) -> int:
        span_id = _random_bits(64)
        while span_id == INVALID_SPAN_ID:
            span_id = _random_bits(64)
        return span_id

    def generate_trace_id(self) -> int:
        trace_id = _random_bits(128)
        while trace_id == INVALID_TRACE_ID:
            trace_id = _random_bits(128)
        return trace_id
