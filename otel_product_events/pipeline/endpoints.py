"""Spots the OTLP endpoint mistakes that no retry can fix, so that one warning at
:func:`configure` says what to change instead of export errors and a spool whose records will
never arrive: the gRPC port with the HTTP protocol (or the reverse), a signal path on the base
endpoint (the HTTP exporters append their own), an endpoint without a scheme."""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Iterator
from typing import Final

from otel_product_events import guard

#: The ports the OTLP specification assigns, by protocol.
DEFAULT_PORTS: Final = {"grpc": 4317, "http/protobuf": 4318}
_SIGNAL_PATHS: Final = ("/v1/logs", "/v1/traces", "/v1/metrics")


def endpoint_problems(protocol: str, variable: str, endpoint: str, *, base: bool
                      ) -> Iterator[str]:
    """What is wrong with ``endpoint`` (named ``variable``) for ``protocol``; ``base`` for the
    endpoint the exporters append a signal path to (HTTP) rather than use as it is. The value
    itself is never quoted: a URL may carry credentials."""
    other = "grpc" if protocol != "grpc" else "http/protobuf"
    parsed = urllib.parse.urlsplit(endpoint.strip())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        if protocol != "grpc":  # the gRPC exporter takes host:port as well
            yield (f"{variable} needs a scheme and a host, e.g. "
                   f"http://127.0.0.1:{DEFAULT_PORTS[protocol]}")
        return
    try:
        port = parsed.port
    except ValueError:
        port = None
    if port == DEFAULT_PORTS[other]:
        yield (f"{variable} uses port {port}, the OTLP port for {other}, but the protocol is "
               f"{protocol}: set OTEL_EXPORTER_OTLP_PROTOCOL={other}, or use port "
               f"{DEFAULT_PORTS[protocol]}")
    if base and protocol != "grpc" and parsed.path.rstrip("/").endswith(_SIGNAL_PATHS):
        yield (f"{variable} ends with a signal path, and the HTTP exporters append "
               "their own (/v1/logs, /v1/traces): give the base URL, or set the signal's own "
               "variable (OTEL_EXPORTER_OTLP_LOGS_ENDPOINT takes the full URL)")


def warn_of_endpoint_mistakes(protocol: str, endpoint: str | None) -> None:
    """One warning per mistake in the endpoints the OTLP exporters will use."""
    candidates = []
    if endpoint is not None:
        candidates.append(("configure(endpoint=...)", endpoint, True))
    elif os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "").strip():
        candidates.append(("OTEL_EXPORTER_OTLP_ENDPOINT",
                           os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"], True))
    for signal in ("LOGS", "TRACES"):
        variable = f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT"
        # configure(endpoint=...) wins over the signal's own variable: then it is not used.
        if endpoint is None and os.environ.get(variable, "").strip():
            candidates.append((variable, os.environ[variable], False))
    for variable, value, base in candidates:
        for problem in endpoint_problems(protocol, variable, value, base=base):
            guard.warn(f"endpoint:{problem}", "otel_product_events: %s.", problem)
