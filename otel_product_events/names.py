"""What an event name or attribute key may be: text the OTLP encoder and every store downstream
accept. A name with a lone surrogate fails to encode and takes its whole batch with it; a NUL
or a name of megabytes breaks stores and dashboards. Such a name is refused where it enters,
alone, and counted, never sent. Also what a function may be called in a zero-code target
(``module:qualname``), and how a name is quoted in a message.
"""

from __future__ import annotations

import re
import reprlib
from typing import Final

#: Longest event name or attribute key, in characters.
MAX_NAME_LENGTH: Final = 256


def name_problem(name: object) -> str | None:
    """Why ``name`` cannot be an event name or attribute key, or None when it can."""
    if not isinstance(name, str):
        return f"it is a {type(name).__name__}, not a string"
    if not name or name.isspace():
        return "it is empty"
    if len(name) > MAX_NAME_LENGTH:
        return f"it is longer than {MAX_NAME_LENGTH} characters ({len(name)})"
    if "\x00" in name:
        return "it contains a NUL character"
    if not name.isascii():
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            return "it is not valid Unicode (a lone surrogate)"
    return None


def shown(name: object) -> str:
    """``name`` made safe to quote in a log line: ASCII, short."""
    text = ascii(name)
    return text if len(text) <= 80 else text[:77] + "..."


#: Values quoted in messages are shortened to about this many characters.
QUOTE_LENGTH: Final = 40


def _quoting() -> reprlib.Repr:
    quoting = reprlib.Repr()
    quoting.maxstring = quoting.maxother = QUOTE_LENGTH
    quoting.maxlevel, quoting.maxdict, quoting.maxlist = 2, 3, 3
    return quoting


_QUOTING: Final = _quoting()


def quote(value: object) -> str:
    """``repr(value)`` shortened to a few dozen characters, whatever the value's size."""
    try:
        text = _QUOTING.repr(value)
    except Exception:  # a repr that raises: name the type only
        return f"<{type(value).__name__}>"
    return text if len(text) <= 2 * QUOTE_LENGTH else text[:2 * QUOTE_LENGTH] + "..."


_IDENTIFIER: Final = r"[A-Za-z_][A-Za-z0-9_]*"
_DOTTED: Final = re.compile(rf"{_IDENTIFIER}(?:\.{_IDENTIFIER})*\Z")


def split_function(text: str) -> tuple[str, str]:
    """``"pkg.module:Class.method"`` -> ``("pkg.module", "Class.method")``; raises ValueError
    naming what is wrong."""
    module, colon, qualname = text.strip().partition(":")
    if not colon:
        raise ValueError(f"{quote(text)} needs the form module:qualname (e.g. "
                         "shop.orders:place_order or shop.cart:Cart.add)")
    if not _DOTTED.match(module):
        raise ValueError(f"{quote(text)}: {quote(module)} is not a module path (dotted "
                         "Python names)")
    if not _DOTTED.match(qualname):
        raise ValueError(f"{quote(text)}: {quote(qualname)} is not a qualified name (a "
                         "function, or Class.method, dotted Python names)")
    return module, qualname
