"""Our tracer and logger, bound straight to the SDK's once the application installs providers.

``get_tracer``/``get_logger`` called at import return proxies that look the real object up on
every call; on the hot path that indirection (a frame and a keyword re-pack per call) costs more
than the rest of our own work. So the real objects are looked up until a provider is installed
(set once per process, by OTel's rules) and reused from then on.
"""

from __future__ import annotations

from opentelemetry import _logs, trace
from opentelemetry._logs import Logger
from opentelemetry._logs._internal import ProxyLoggerProvider
from opentelemetry.trace import Tracer

from otel_product_events import semconv
from otel_product_events.version import __version__


class _Bound:
    __slots__ = ("logger", "logger_bound", "tracer", "tracer_bound")

    def __init__(self) -> None:
        self.logger: Logger = _logs.get_logger(semconv.SCOPE_NAME, __version__)
        self.tracer: Tracer = trace.get_tracer(semconv.SCOPE_NAME, __version__)
        self.logger_bound = False
        self.tracer_bound = False


_bound = _Bound()


def logger() -> Logger:
    """The logger for product events (the proxy until a provider is installed)."""
    if _bound.logger_bound:
        return _bound.logger
    provider = _logs.get_logger_provider()
    if isinstance(provider, ProxyLoggerProvider):
        return _bound.logger
    _bound.logger = provider.get_logger(semconv.SCOPE_NAME, __version__)
    _bound.logger_bound = True
    return _bound.logger


def tracer() -> Tracer:
    """The tracer for tracked calls (the proxy until a provider is installed)."""
    if _bound.tracer_bound:
        return _bound.tracer
    provider = trace.get_tracer_provider()
    if isinstance(provider, trace.ProxyTracerProvider):
        return _bound.tracer
    _bound.tracer = provider.get_tracer(semconv.SCOPE_NAME, __version__)
    _bound.tracer_bound = True
    return _bound.tracer
