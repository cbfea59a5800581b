"""Test helpers for applications that emit product events (and for this library's own tests).

:func:`capture_events` records, in memory and synchronously, every product event and span
emitted inside a ``with`` block, so a test can assert on exactly what would be exported::

    from otel_product_events.testing import capture_events

    def test_creating_an_incident_emits_one_event():
        with capture_events() as captured:
            create_incident(team_id="t1")
        assert captured.names() == ["incident.created"]
        assert captured[0].attributes["team.id"] == "t1"

``otel_product_events.testing.collector`` starts the real OpenTelemetry Collector built from
``collector-config/`` for end-to-end tests. The top wing: it may import any other (the
collector helpers read stored files with ``report``'s reader).
"""

from ._capture import CapturedEvent, CapturedEvents, capture_events

__all__ = ["CapturedEvent", "CapturedEvents", "capture_events"]
