"""What the library counted: dropped attributes and events, internal errors, and the fate of
exported records (for the pipelines :func:`configure` built)."""

from __future__ import annotations

from otel_product_events import guard
from otel_product_events.pipeline import accounting


def stats() -> dict[str, int]:
    """Counters since the process started, e.g. ``{"log_records_exported": 1200,
    "log_records_dropped_queue_full": 3, "attributes_dropped": 2}``.

    Export counters: ``*_exported``, ``*_export_failed`` (after the exporter's retries),
    ``*_dropped_too_large`` (a record larger than any export request),
    ``*_dropped_queue_full`` (the oldest records, dropped while the queue was full) and
    ``*_queued`` (accepted, not yet exported), for ``log_records`` and ``spans``. Counters that
    never moved are absent. Events refused at the call: ``events_dropped_invalid_name``,
    ``events_dropped_too_large`` (over ``max_event_size``); attributes: ``attributes_dropped``.
    ``exporters_not_built``: an OTLP exporter (or the meter provider) that could not be built
    at its first use, from the ``OTEL_EXPORTER_OTLP_*`` settings (logged once).
    The offline spool adds ``*_spooled`` (kept on disk for a later run),
    ``*_sent_from_spool`` and ``*_spool_dropped`` (size or age bound) and
    ``spool_files_corrupt``; see the README's "Spool" section for how the books balance.
    """
    return {**guard.snapshot(), **accounting.snapshot()}
