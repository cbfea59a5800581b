"""The warning category users filter on, and the error raised in strict mode."""


class ProductEventsWarning(UserWarning):
    """A mistake in how the library is used (for example, an attribute naming no parameter).

    Issued with :func:`warnings.warn` at decoration or configuration time, never raised into
    the host application. Turn it into an error in your test suite with
    ``-W error::otel_product_events.ProductEventsWarning``.
    """


class ProductEventsError(RuntimeError):
    """Raised instead of being logged when strict mode is on (our test suite, your CI)."""
