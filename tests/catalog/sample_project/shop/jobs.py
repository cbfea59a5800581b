"""Background jobs: a lifecycle and an event whose name is computed."""

from __future__ import annotations

from otel_product_events import track_lifecycle
from otel_product_events.instrument.api import emit


@track_lifecycle("catalog.sync", attributes={"source": "source"})
def sync_catalog(source: str) -> int:
    return len(source)


def export_report(kind: str) -> None:
    emit(f"report.{kind}.exported")
