"""An app process for the scale tests: N product events through the library, at a steady rate.

    python -m tests.scale.app ENDPOINT N PER_SECOND [funnel]

Emits ``scale.tick`` events with a ``seq`` attribute 0..N-1 (the installation comes from the
state dir, OTEL_PRODUCT_EVENTS_STATE_DIR), shuts down (flushing), and prints one JSON line:
the number emitted, the installation id and ``pe.stats()``. With ``funnel`` (the demo) the
events are a sign-up funnel instead: per ``demo.user``, ``signup.started``, then for 2 users in
3 ``signup.completed``, then for some of those ``project.created``.
"""

from __future__ import annotations

import itertools
import json
import sys
import time
from collections.abc import Iterator

import otel_product_events as pe
from otel_product_events.privacy import installation


def funnel_steps() -> Iterator[tuple[str, int]]:
    for user in itertools.count():
        yield "signup.started", user
        if user % 3:
            yield "signup.completed", user
            if user % 5:
                yield "project.created", user


def main() -> None:
    endpoint, total, per_second = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    steps = funnel_steps() if sys.argv[4:] == ["funnel"] else None
    pe.configure(service_name="scale-app", service_version="1.0.0", endpoint=endpoint,
                 protocol="http/protobuf", shutdown_timeout=30)
    start = time.monotonic()
    for seq in range(total):
        due = start + seq / per_second
        if (delay := due - time.monotonic()) > 0:
            time.sleep(delay)
        if steps is None:
            pe.emit("scale.tick", {"seq": seq})
        else:
            name, user = next(steps)
            pe.emit(name, {"seq": seq, "demo.user": user})
    pe.shutdown()
    print(json.dumps({"emitted": total, "installation": installation.installation_id(),
                      "stats": pe.stats()}), flush=True)


if __name__ == "__main__":
    main()
