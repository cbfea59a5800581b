"""A Celery app run eagerly (no broker): a plain task and a bound one that fails."""

from __future__ import annotations

from typing import Any

from celery import Celery

app = Celery("shop", broker="memory://", backend="cache+memory://")
app.conf.task_always_eager = True


@app.task
def add(x: int, y: int) -> int:
    return x + y


@app.task(bind=True)
def refund(self: Any, order_id: str) -> None:
    raise LookupError(order_id)
