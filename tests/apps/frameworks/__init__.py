"""Small real applications on real frameworks, with no line of product-events code: the
zero-code tests instrument them only by environment variables (``tests/auto/test_frameworks``),
and ``drive`` runs each one as a user would."""
