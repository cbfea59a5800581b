"""The directory ``otel-product-events run`` puts first on the child's PYTHONPATH: it holds only
the ``sitecustomize`` bootstrap (this file makes it ship with the package)."""
