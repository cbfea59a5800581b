"""Framework registrations that capture a function while its module imports (wrapping only).

``@app.route`` stores the view function in ``app.view_functions`` before the post-import hook
wraps the module attribute, so the wrapper there is never called by Flask. On Python 3.10/3.11
each registration method below is wrapped (when its framework is imported) so that a
registered function whose ``module:qualname`` is a target is replaced by a tracked wrapper
where it is registered. On Python 3.12+ none of this is needed: the code object is tracked.

Each entry names the method and the parameter that receives the function; the position of
that parameter is read from the installed framework's signature.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from functools import partial
from types import ModuleType
from typing import Any, Final, Protocol

from . import post_import


class Instrumentation(Protocol):
    """What the hooks need of :class:`~.hooks.Instrumentation`."""

    @property
    def active(self) -> bool: ...

    def track_registered(self, function: Any) -> Any: ...

    def hook_registration(self, parent: Any, attribute: str, handle: Any) -> None: ...

_FLASK_SCAFFOLD: Final = ("before_request", "after_request", "teardown_request",
                          "context_processor", "url_value_preprocessor", "url_defaults")
_FLASK_BLUEPRINT: Final = ("before_app_request", "after_app_request", "teardown_app_request",
                           "app_context_processor", "app_url_value_preprocessor",
                           "app_url_defaults")

#: module -> ((``Class.method``, parameter receiving the function), ...)
REGISTRATIONS: Final[dict[str, tuple[tuple[str, str], ...]]] = {
    # Flask (and its blueprints): routes, request hooks, error handlers.
    "flask.sansio.app": (("App.add_url_rule", "view_func"), ("App.teardown_appcontext", "f"),
                         ("App.shell_context_processor", "f")),
    "flask.sansio.blueprints": (("Blueprint.add_url_rule", "view_func"),
                                *((f"Blueprint.{name}", "f") for name in _FLASK_BLUEPRINT)),
    "flask.sansio.scaffold": (("Scaffold.register_error_handler", "f"),
                              *((f"Scaffold.{name}", "f") for name in _FLASK_SCAFFOLD)),
    # Starlette and FastAPI routes (FastAPI's APIRouter and app decorators make these).
    "starlette.routing": (("Route.__init__", "endpoint"), ("WebSocketRoute.__init__", "endpoint")),
    "fastapi.routing": (("APIRoute.__init__", "endpoint"),
                        ("APIWebSocketRoute.__init__", "endpoint")),
    # click commands and groups; Typer keeps the function in its own info objects.
    "click.core": (("Command.__init__", "callback"),),
    "typer.models": (("CommandInfo.__init__", "callback"), ("TyperInfo.__init__", "callback")),
    # Celery: app.task / shared_task build the task class from the function here.
    "celery.app.base": (("Celery._task_from_fun", "fun"),),
}


OnError = Callable[[str, BaseException], None]


def install(instrumentation: Instrumentation, on_error: OnError) -> None:
    """Registers one post-import hook per framework module; nothing is imported early (wrapt
    neither: only once a framework is). Our failures go to ``on_error`` (they must never fail
    the application's import)."""
    for module_name, entries in REGISTRATIONS.items():
        try:
            post_import.when_imported(
                module_name, partial(_on_import, instrumentation, on_error, entries))
        except Exception as error:
            on_error("register_registry_hook", error)


def _on_import(instrumentation: Instrumentation, on_error: OnError,
               entries: tuple[tuple[str, str], ...], module: ModuleType) -> None:
    for path, parameter in entries:
        try:
            import wrapt  # (inside the try: nothing may escape into the application's import)

            if not instrumentation.active:
                return
            parent, attribute, original = wrapt.resolve_path(module, path)
            position = _position(original, parameter)
            hook = _substituting(instrumentation.track_registered, parameter, position)
            handle = wrapt.wrap_object(parent, attribute, wrapt.FunctionWrapper, (hook,))
            instrumentation.hook_registration(parent, attribute, handle)
        except Exception as error:  # another version of the framework: skip that method
            on_error(f"registry:{module.__name__}.{path}", error)


def _position(method: Any, parameter: str) -> int | None:
    """Index of ``parameter`` in the positional arguments after ``self``."""
    names = list(inspect.signature(inspect.unwrap(method)).parameters)
    index = names.index(parameter) - 1  # raises ValueError: this version differs
    return index if index >= 0 else None


def _substituting(track: Callable[[Any], Any], parameter: str, position: int | None
                  ) -> Callable[..., Any]:
    def hook(wrapped: Callable[..., Any], instance: Any, args: tuple[Any, ...],
             kwargs: dict[str, Any]) -> Any:
        if parameter in kwargs:
            if kwargs[parameter] is not None:
                kwargs = {**kwargs, parameter: track(kwargs[parameter])}
        elif position is not None and position < len(args) and args[position] is not None:
            args = (*args[:position], track(args[position]), *args[position + 1:])
        return wrapped(*args, **kwargs)

    return hook
