"""`make scale-demo`: apps -> 2 edge collectors -> Kafka (6 partitions) -> 2 storage collectors
in one consumer group -> files -> `otel-product-events report counts` / `funnel`.

Everything runs on loopback and is stopped at the end; the stored files stay in
scale-demo-output/stored (the report reads that directory).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.scale.tier import GROUP, run_apps, run_tier  # noqa: E402

OUTPUT = REPO / "scale-demo-output"
APPS, PER_APP, RATE = 3, 10_000, 2_000


def report(*args: str) -> None:
    print(f"\n$ otel-product-events report {' '.join(args)}", flush=True)
    subprocess.run([sys.executable, "-m", "otel_product_events.cli", "report", *args],
                   cwd=REPO, check=True)


def main() -> None:
    shutil.rmtree(OUTPUT, ignore_errors=True)
    print("Starting Kafka (first run: jars from Maven Central), 2 storage and 2 edge collectors")
    with run_tier(OUTPUT / "tier") as tier:
        print(f"broker {tier.broker.bootstrap}; edges "
              + ", ".join(e.http_endpoint for e in tier.edges))
        print(tier.broker.describe_group(GROUP))
        start = time.monotonic()
        endpoints = [tier.edges[i % 2].http_endpoint for i in range(APPS)]
        print(f"{APPS} apps x {PER_APP} events at {RATE}/s each ...", flush=True)
        reports = run_apps(endpoints, PER_APP, RATE, OUTPUT / "apps", funnel=True)
        stored = tier.wait_stored(APPS * PER_APP, timeout=120)
        print(f"stored {stored} of {sum(r['emitted'] for r in reports)} events in "
              f"{time.monotonic() - start:.1f} s")
        for name in sorted(tier.storages):
            rows = sum(1 for row in tier.stored() if name in row["file"])
            print(f"  {name}: {rows} events")
        print(tier.broker.describe_group(GROUP))
    data = str(tier.data_dir)
    report("counts", "--data", data)
    report("funnel", "signup.started", "signup.completed", "project.created",
           "--by", "demo.user", "--data", data)


if __name__ == "__main__":
    main()
