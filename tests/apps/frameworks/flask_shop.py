"""A Flask app with a blueprint and request hooks: every function is registered while the
module imports, before any post-import hook can wrap the module attribute."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, g

orders = Blueprint("orders", __name__, url_prefix="/orders")


@orders.before_request
def load_customer() -> None:
    g.customer = "c-1"


@orders.route("/<order_id>")
def show_order(order_id: str) -> dict[str, Any]:
    if order_id == "missing":
        abort(404)
    return {"id": order_id, "customer": g.customer}


@orders.route("/", methods=["POST"])
def place_order() -> tuple[dict[str, Any], int]:
    return {"id": "o-new"}, 201


app = Flask(__name__)


@app.before_request
def count_request() -> None:
    g.counted = True


@app.route("/")
def index() -> str:
    return "shop"


app.register_blueprint(orders)
