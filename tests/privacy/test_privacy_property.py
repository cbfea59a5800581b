"""Property: undeclared argument values never appear in the exported OTLP bytes."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter

import otel_product_events as pe
from tests.helpers import otlp_bytes

# Long enough that a value cannot occur in the payload by coincidence.
secret_text = st.text(min_size=12, max_size=200).filter(lambda s: len(s.encode()) >= 12)
secret_bytes = st.binary(min_size=16, max_size=200)
plain_value = st.one_of(st.text(max_size=30), st.integers(), st.booleans(), st.floats())


@pe.track("account.updated", attributes={"plan": "plan", "seats": "settings.seats"})
def update_account(email: str, token: bytes, plan: Any, settings: dict[str, Any],
                   notes: list[str]) -> dict[str, Any]:
    return {"email": email, "notes": notes}


def _encoded(value: str | bytes) -> bytes:
    return value.encode("utf-8", "replace") if isinstance(value, str) else value


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(email=secret_text, token=secret_bytes, plan=plain_value, seats=plain_value,
       hidden=secret_text, note=secret_text)
def test_undeclared_values_never_reach_the_wire(
    log_exporter: InMemoryLogRecordExporter, email: str, token: bytes, plan: Any, seats: Any,
    hidden: str, note: str,
) -> None:
    """Only plan and settings.seats are declared; email, token, the rest of settings, notes
    and the return value are not, and their bytes are absent from the OTLP request."""
    # A value that is in the payload even when it was never passed (a key, a declared value)
    # proves nothing: compare against a run with the private arguments blanked out.
    log_exporter.clear()
    update_account("-", b"-", plan, {"seats": seats, "hidden": "-"}, ["-"])
    baseline = otlp_bytes(log_exporter.get_finished_logs())
    for private in (email, token, hidden, note):
        assume(_encoded(private) not in baseline)
    log_exporter.clear()
    update_account(email, token, plan, {"seats": seats, "hidden": hidden}, [note])
    payload = otlp_bytes(log_exporter.get_finished_logs())
    assert payload
    for private in (email, token, hidden, note):
        assert _encoded(private) not in payload
    (record,) = log_exporter.get_finished_logs()
    assert set(record.log_record.attributes or {}) <= {
        "plan", "seats", "code.function.name", "product.outcome", "log.record.uid",
        "app.installation.id"}
