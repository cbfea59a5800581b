"""Drives one framework app as its users would, and prints the product events it emitted.

    python -m tests.apps.frameworks.drive flask|fastapi|click|typer|celery

Runs under ``otel-product-events run`` (targets from the environment only); the apps contain
no product-events code. Prints one JSON line: ``[[event, outcome, exit code or null], ...]``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable

from otel_product_events.testing import capture_events


def flask() -> None:
    from tests.apps.frameworks.flask_shop import app

    client = app.test_client()
    for path in ("/", "/", "/orders/o-1", "/orders/o-2", "/orders/o-3", "/orders/missing"):
        client.get(path)
    client.post("/orders/")


def fastapi() -> None:
    from fastapi.testclient import TestClient

    from tests.apps.frameworks.fastapi_shop import app

    with TestClient(app) as client:
        for path in ("/health", "/health", "/items/a", "/items/b", "/items/missing"):
            client.get(path)
        client.post("/items/")


def click() -> None:
    from click.testing import CliRunner

    from tests.apps.frameworks.click_cli import cli

    runner = CliRunner()
    for args in (["greet"], ["greet", "--count", "2"], ["fail"], ["--help"]):
        runner.invoke(cli, args)


def typer() -> None:
    from typer.testing import CliRunner

    from tests.apps.frameworks.typer_cli import app

    runner = CliRunner()
    for args in (["hello", "ann"], ["hello", "bob"], ["goodbye"]):
        runner.invoke(app, args)


def celery() -> None:
    from tests.apps.frameworks.celery_tasks import add, refund

    add.delay(1, 2).get()
    add.apply_async((3, 4)).get()
    add(5, 6)
    refund.apply(("o-1",))


DRIVERS: dict[str, Callable[[], None]] = {
    "flask": flask, "fastapi": fastapi, "click": click, "typer": typer, "celery": celery}


if __name__ == "__main__":
    with capture_events() as captured:
        DRIVERS[sys.argv[1]]()
    print(json.dumps([[e.name, e.attributes["product.outcome"],
                       e.attributes.get("process.exit.code")] for e in captured]))
