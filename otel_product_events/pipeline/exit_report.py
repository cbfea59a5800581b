"""The one line printed at exit when anything was left undelivered, saying exactly what became
of it: spooled for the next run, dropped because the spool was full, or lost to the exit bound.
Nothing is printed when everything was delivered (no false alarm)."""

from __future__ import annotations

from otel_product_events import guard
from otel_product_events.config import SETTINGS
from otel_product_events.pipeline import accounting


def exit_message(timeout_s: float) -> str | None:
    """The exit line, or None when there is nothing to say."""
    counts = {**guard.snapshot(), **accounting.snapshot()}
    parts = []
    events_dropped = counts.get("log_records_spool_dropped", 0)
    spans_dropped = counts.get("spans_spool_dropped", 0)
    # What this run spooled and is still there (a spool full drops the oldest right away).
    events = max(0, counts.get("log_records_spooled", 0) - events_dropped)
    spans = max(0, counts.get("spans_spooled", 0) - spans_dropped)
    if events or spans:
        what = _plural(events, "event") + (f" and {_plural(spans, 'span')}" if spans else "")
        parts.append(f"{what} spooled to {SETTINGS.spool_dir} for the next run")
    if events_dropped or spans_dropped:
        parts.append(f"{events_dropped + spans_dropped} dropped (spool full or expired; see "
                     "OTEL_PRODUCT_EVENTS_SPOOL_MAX_MIB)")
    failed = counts.get("log_records_export_failed", 0) + counts.get("spans_export_failed", 0)
    if failed:
        parts.append(f"{failed} lost (export failed and not spooled)")
    left = accounting.left()  # the ledger: still queued or in flight, neither sent nor spooled
    if left:
        what = " and ".join(f"{count} {signal.replace('_', ' ')}"
                            for signal, count in left.items())
        parts.append(f"{what} not exported within {timeout_s:.1f} s at exit (collector slow or "
                     "unreachable?); dropped so the process can end (see shutdown_timeout)")
    return "otel_product_events: " + "; ".join(parts) + "." if parts else None


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
