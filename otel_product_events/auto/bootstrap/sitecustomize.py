"""Bootstrap of ``otel-product-events run``, imported by Python's ``site`` at start-up.

It takes its own directory off ``sys.path``, runs the next ``sitecustomize`` on the path (the
one this file shadows, if any), then configures the SDK and instruments the targets. It never
raises: a failure here must not stop the application.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
import traceback

_HERE = os.path.dirname(os.path.abspath(__file__))


def _chain_to_next_sitecustomize() -> None:
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", sys.path)
    if spec is None or spec.loader is None:
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules["sitecustomize"] = module  # what `import sitecustomize` would have given
    try:
        spec.loader.exec_module(module)
    except Exception:  # as site.py does for a failing sitecustomize
        sys.stderr.write(f"Error in sitecustomize ({spec.origin}):\n{traceback.format_exc()}")


def _start() -> None:
    try:
        from otel_product_events.auto.launcher import start_in_child
    except Exception as error:
        sys.stderr.write(f"otel-product-events run: cannot import otel_product_events in "
                         f"{sys.executable} ({type(error).__name__}: {error}); the application "
                         "runs without product events\n")
        return
    start_in_child()


try:
    _chain_to_next_sitecustomize()
except Exception as error:
    sys.stderr.write(f"otel-product-events run: sitecustomize chain failed ({error!r})\n")
_start()
