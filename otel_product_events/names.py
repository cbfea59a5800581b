"""What an event name or attribute key may be: text the OTLP encoder and every store downstream
accept. A name with a lone surrogate fails to encode and takes its whole batch with it; a NUL
or a name of megabytes breaks stores and dashboards. Such a name is refused where it enters,
alone, and counted, never sent.
"""

from __future__ import annotations

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
