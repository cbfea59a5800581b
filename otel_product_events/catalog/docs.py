"""The "What we collect" page: the event catalog rendered as Markdown, for the people whose
usage is measured.

In the spirit of Mattermost's telemetry page: why and how, how to opt out, the metadata sent
with every event, then one section per event with its triggers and every attribute (type,
hashed or not, counted or not, meaning). The page is generated from the same catalog the code
uses, so it cannot drift from what is declared; the output depends only on the catalog, so it
can be committed and diffed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from otel_product_events import environment_variables as ev
from otel_product_events import semconv
from otel_product_events.catalog.model import AttributeSpec, Catalog, EventSpec

LIFECYCLE_SUFFIXES: Final = (".started", ".completed")

_INTRO: Final = """\
This page lists every product event this application sends and every piece of information
each one carries, so that you can see what is measured before you decide to keep it on. It is
generated from the application's event catalog, which declares each event and attribute.

The events are OpenTelemetry log records, sent with OTLP to the endpoint that the operator of
this application configures (`OTEL_EXPORTER_OTLP_ENDPOINT`)."""

_OPT_OUT: Final = f"""\
## How to opt out

Any one of these switches product telemetry off: no event is sent and no connection is made
for it.

- `DO_NOT_TRACK=1` in the environment ([consoledonottrack.com](https://consoledonottrack.com)).
- `{ev.OTEL_PRODUCT_EVENTS_ENABLED}=false`: product events only.
- `OTEL_SDK_DISABLED=true`: all OpenTelemetry telemetry of the application.
- In the application, `otel_product_events.set_enabled(False)` (for example behind a privacy
  setting), effective immediately."""

#: (what, key, notes) rows of the metadata table.
_METADATA: Final = (
    ("event name", "the record's event name", "the section titles below"),
    ("event id", f"`{semconv.LOG_RECORD_UID}`", "random, new for every event"),
    ("installation", f"`{semconv.APP_INSTALLATION_ID}`",
     "random id created on first run and kept on this machine (or set by the operator); "
     "not derived from hardware, accounts or user data"),
    ("time", "timestamp, observed timestamp", "when it happened and when it was recorded"),
    ("correlation", "trace id, span id", "links the event to the operation that caused it"),
    ("outcome", f"`{semconv.PRODUCT_OUTCOME}`",
     f"how the operation ended: `{semconv.OUTCOME_SUCCESS}`, `{semconv.OUTCOME_FAILURE}` or "
     f"`{semconv.OUTCOME_CANCELLED}` (events sent when a function of ours returns)"),
    ("error", f"`{semconv.ERROR_TYPE}`",
     "class of the error when it failed; never the error message"),
    ("exit status", f"`{semconv.PROCESS_EXIT_CODE}`",
     "the status the program exited with, when it ended with a failing exit (`sys.exit(2)`, a "
     "usage error); nothing else about the exit"),
    ("function", f"`{semconv.CODE_FUNCTION_NAME}`",
     "the function of ours that sent it (events sent when a function of ours returns)"),
    ("service", f"resource `{semconv.SERVICE_NAME}`, `{semconv.SERVICE_VERSION}`",
     "which application and version (the operator may add resource attributes)"),
)

_LIFECYCLE_METADATA: Final = (
    ("run", f"`{semconv.PRODUCT_RUN_ID}`",
     "random id pairing a `.started` event with its `.completed` event"),
    ("duration", f"`{semconv.PRODUCT_DURATION_MS}`",
     "milliseconds from start to end (`.completed` events)"),
)

_HASHED: Final = """\
An attribute marked *hashed* is sent as a one-way hash of its value, never the value itself: by
default an HMAC-SHA256 keyed with a secret that stays with the application, so it can be used
to count and link events but not read back. An attribute marked *number of items* is sent as a
count (how many), never the items."""


def cell(text: str) -> str:
    """Text made safe for one Markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return lines


def is_lifecycle(name: str) -> bool:
    return name.endswith(LIFECYCLE_SUFFIXES)


def metadata_section(catalog: Catalog) -> list[str]:
    rows = list(_METADATA)
    if any(is_lifecycle(name) for name in catalog.events):
        rows += _LIFECYCLE_METADATA
    return ["## Sent with every event", "",
            *table(("what", "key", "notes"), [tuple(row) for row in rows])]


def attribute_row(spec: AttributeSpec) -> tuple[str, ...]:
    return (f"`{spec.name}`", spec.type, "yes" if spec.hash else "no",
            "number of items" if spec.count else "no", spec.description)


def event_section(spec: EventSpec) -> list[str]:
    lines = [f"### `{spec.name}`", "", spec.description, ""]
    if spec.triggers:
        lines += ["Sent when:", "", *(f"- {trigger}" for trigger in spec.triggers), ""]
    if spec.functions:
        sent_by = ", ".join(f"`{function}`" for function in spec.functions)
        lines += [f"Sent by: {sent_by}", ""]
    if spec.attributes:
        rows = [attribute_row(attribute) for attribute in spec.attributes.values()]
        lines += table(("attribute", "type", "hashed", "counted", "description"), rows)
    else:
        lines.append("No attributes of its own: only the metadata above.")
    return [*lines, ""]


def render_docs(catalog: Catalog) -> str:
    """The Markdown page for ``catalog``; the same catalog always gives the same text."""
    source = Path(catalog.path).name
    lines = [
        "# What we collect", "",
        f"<!-- Generated from the event catalog {source} by `otel-product-events catalog docs`;"
        " edit the catalog, not this page. -->", "",
        _INTRO, "", _OPT_OUT, "",
        *metadata_section(catalog), "",
        "## Events", "",
        "Each event carries the metadata above plus the attributes listed for it.", "",
        _HASHED, "",
    ]
    for name in sorted(catalog.events):
        lines += event_section(catalog.events[name])
    return "\n".join(lines).rstrip("\n") + "\n"
