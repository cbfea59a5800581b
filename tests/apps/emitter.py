"""A product-events app driven line by line on stdin, for the reliability tests.

    python -m tests.apps.emitter ENDPOINT

Commands (one per line; each answers one JSON line on stdout):
    emit LABEL N                 emit N events named LABEL, as fast as possible
    rate LABEL PER_SECOND SECS   emit at a steady rate; answers how many, and the slowest emit()
    flush SECONDS                pe.flush(SECONDS)
    stats                        pe.stats() and the number of events emitted so far
    rss                          resident memory in MiB
"""

from __future__ import annotations

import json
import os
import sys
import time

import otel_product_events as pe

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mib() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE / 2**20


def main() -> None:
    pe.configure(service_name="emitter", endpoint=sys.argv[1],
                 protocol=sys.argv[2] if len(sys.argv) > 2 else None)
    emitted = 0
    for line in sys.stdin:
        command, *args = line.split()
        answer: object = "ok"
        if command == "emit":
            for i in range(int(args[1])):
                pe.emit(args[0], {"seq": emitted + i})
            emitted += int(args[1])
        elif command == "rate":
            per_second, seconds = float(args[1]), float(args[2])
            start, slowest, n = time.monotonic(), 0.0, 0
            while (now := time.monotonic()) - start < seconds:
                if n < (now - start) * per_second:
                    before = time.monotonic()
                    pe.emit(args[0], {"seq": emitted})
                    slowest = max(slowest, time.monotonic() - before)
                    emitted, n = emitted + 1, n + 1
                else:
                    time.sleep(0.001)
            answer = {"slowest_emit_s": slowest, "emitted": n}
        elif command == "flush":
            answer = {"flushed": pe.flush(float(args[0]))}
        elif command == "stats":
            answer = {"emitted": emitted, **pe.stats()}
        elif command == "rss":
            answer = {"rss_mib": rss_mib()}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
