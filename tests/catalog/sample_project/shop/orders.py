"""Orders and carts: decorated functions, emits, an undeclared attribute and event."""

from __future__ import annotations

from typing import Any

import otel_product_events as pe
from otel_product_events import emit as send

ORDER = {"order.id": "return.id", "order.total": "return.total"}


class Analytics:
    """Someone else's tracker: its track() calls are not ours and are not checked."""

    def track(self, event: str, properties: dict[str, Any]) -> None:
        del event, properties


analytics = Analytics()


class Cart:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, item: str) -> None:
        self.items.append(item)

    def remove(self, item: str) -> None:
        self.items.remove(item)

    def clear(self) -> None:
        self.items.clear()

    def view(self) -> None:
        pe.emit("cart.viewed", {"cart.size": len(self.items)})


@pe.track("order.placed", attributes={**ORDER, "customer.email": "customer.email"})
def place_order(cart: Cart, customer: Any) -> Any:
    analytics.track("Order Placed", {"anything": "goes"})
    return customer


def apply_coupon(code: str, extra: dict[str, Any]) -> None:
    send("coupon.applied", {"coupon.length": len(code), **extra})
